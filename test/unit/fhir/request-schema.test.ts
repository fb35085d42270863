import { describe, expect, it } from 'vitest'
import { FHIR_ID_PATTERN, ID_PARAMS, isFhirId, isUUID } from '../../../src/fhir/request-schema.ts'

describe('request-schema', () => {
  it('a FHIR id is 1 to 64 letters, digits, - and . (R4 datatypes.html#id)', () => {
    for (const good of ['a', 'Task-1.2', '01a24a2b-0c54-7792-b1b7-13a08a67a681', 'x'.repeat(64)]) expect(isFhirId(good), good).toBe(true)
    for (const bad of ['', 'x'.repeat(65), 'a b', 'a/b', 'a_b', 'é']) expect(isFhirId(bad), bad).toBe(false)
    // the params schema checks the same pattern the code does
    expect(ID_PARAMS.properties.id.pattern).toBe(FHIR_ID_PATTERN)
  })

  it('a UUID in either case is a UUID; anything else is not', () => {
    expect(isUUID('01A24A2B-0C54-7792-B1B7-13A08A67A681')).toBe(true)
    expect(isUUID('01a24a2b-0c54-7792-b1b7-13a08a67a681')).toBe(true)
    for (const bad of ['', 'not-a-uuid', '01a24a2b0c547792b1b713a08a67a681', '01a24a2b-0c54-7792-b1b7-13a08a67a68g']) expect(isUUID(bad), bad).toBe(false)
  })
})
