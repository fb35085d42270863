import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { beforeAll, describe, expect, it } from 'vitest'
import { createValidator } from '../../src/validation/create-validator.ts'
import { isJsonObject } from '../../src/validation/json.ts'
import type { JsonObject } from '../../src/validation/json.ts'
import type { ResourceValidator } from '../../src/validation/validator.ts'
import { REPO, sharedFolder } from './shared-data.ts'

/**
 * Every UK Core example (the UK Core package's examples, found by shared-data.ts) of a type the gateway takes must
 * validate against base R4 without a false error. The defects that folder's README lists are
 * the exception, and those that are errors must be caught:
 * - UKCore-Patient-BabyPatient-Example: NHS number 9912003890 fails Modulus 11 (NHS Data Dictionary).
 * The other listed defects are not errors against base R4, so they must pass: a reference to an
 * id that exists nowhere cannot be resolved by a validator that sees one resource
 * (ColonoscopyRequest), and an extension URL nobody defines is allowed by the open slicing of
 * `extension` (R4 extensibility.html §2.5.0.1; RecordingSetting's typo).
 */

/** Resource types the gateway takes (transaction entries, $validate, reads, Tasks out). */
const GATEWAY_TYPES = new Set(['ServiceRequest', 'Patient', 'Observation', 'Condition', 'Consent', 'Organization',
  'Practitioner', 'PractitionerRole', 'Task', 'Bundle', 'Encounter', 'MessageHeader'])

/**
 * Examples with a defect the validator must catch: file → the error expressions expected.
 * The first is listed in the folder's README. The other two are not, but are errors in R4 all
 * the same, and the Java reference validator reports them too:
 * - ConditionEpisode's extension has both valueCode and valueCodeableConcept (json.html
 *   §2.6.2.3: a choice element takes one type);
 * - the NEWS2 Bundle's fullUrls are relative `Observation/<uuid>` (bundle.html §2.36.4:
 *   fullUrl is an absolute URL, and Java says "The fullUrl must be an absolute URL").
 */
const DEFECTS: Readonly<Record<string, readonly string[]>> = {
  'UKCore-Patient-BabyPatient-Example.json': ['Patient.identifier[0].value'],
  'Extension-UKCore-ConditionEpisode-Example.json': ['Condition.extension[0].value'],
  'UKCore-Bundle-NEWS2Observations-Example.json': Array.from({ length: 8 }, (_, i) => `Bundle.entry[${i}].fullUrl`)
}

const { dir, skipReason } = sharedFolder('fhir/ukcore/json/examples')
if (skipReason !== undefined) {
  console.log(`UK Core examples suite skipped: ${skipReason}`)
}

function examples (): { file: string, resource: JsonObject }[] {
  if (skipReason !== undefined) {
    return []
  }
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().flatMap((file) => {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    return isJsonObject(parsed) && typeof parsed.resourceType === 'string' && GATEWAY_TYPES.has(parsed.resourceType)
      ? [{ file, resource: parsed }]
      : []
  })
}

function errorsOf (issues: readonly OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  return issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')
}

describe.skipIf(skipReason !== undefined)('UK Core examples against base R4 (conformance)', () => {
  let validator: ResourceValidator
  beforeAll(async () => {
    validator = await createValidator({ profilesDir: join(REPO, 'profiles') })
  })
  const all = examples()
  const clean = all.filter((e) => DEFECTS[e.file] === undefined)

  it('finds the examples of the gateway types', () => {
    expect(all.length).toBeGreaterThanOrEqual(90)
    expect(all.map((e) => e.file)).toEqual(expect.arrayContaining(Object.keys(DEFECTS)))
  })

  it.each(clean)('$file validates without errors', ({ resource }) => {
    expect(errorsOf(validator.validate(resource)).map((i) => `${i.expression?.join(',') ?? '-'}: ${i.diagnostics ?? ''}`)).toEqual([])
  })

  it.each(Object.entries(DEFECTS))('%s: the listed defect is caught', (file, expressions) => {
    const example = all.find((e) => e.file === file)
    expect(example).toBeDefined()
    const errors = errorsOf(validator.validate(example?.resource))
    expect(errors.map((i) => i.expression?.[0])).toEqual(expressions)
  })

  it('names the failed Modulus 11 check, not the number, in the NHS number error', () => {
    const baby = all.find((e) => e.file === 'UKCore-Patient-BabyPatient-Example.json')
    const [error] = errorsOf(validator.validate(baby?.resource))
    expect(error?.diagnostics).toMatch(/Modulus 11/)
    expect(error?.diagnostics).not.toContain('9912003890')
  })
})
