import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createValidator } from '../../../src/validation/create-validator.ts'
import type { JsonObject } from '../../../src/validation/json.ts'
import { WORKWELL_REFERRAL_PROFILE } from '../../../src/validation/profiles.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'
import {
  errorsOf,
  errorSummary,
  gpReferral,
  jsonFilesIn,
  objectAt,
  PROFILES_DIR,
  readJsonObject,
  referralFixtures,
  ROOT
} from './helpers.ts'

let validator: ResourceValidator
beforeAll(async () => {
  validator = await createValidator({ profilesDir: PROFILES_DIR })
})

/** Validates a mutated copy of the NCL GP referral. */
function validateMutated (mutate: (referral: JsonObject) => void, options?: { profile?: string }): ReturnType<ResourceValidator['validate']> {
  const referral = gpReferral()
  mutate(referral)
  return validator.validate(referral, options)
}

/** Expects exactly one error, at `expression`, with `code`. */
function expectOnlyError (issues: ReturnType<ResourceValidator['validate']>, expression: string, code: string): void {
  expect(errorSummary(issues)).toEqual([`${expression}: ${code}`])
}

describe('createValidator', () => {
  it('loads the WorkWell referral profile', () => {
    expect(validator.profiles).toContain(WORKWELL_REFERRAL_PROFILE)
  })

  it('leaves out findings inside contained resources when asked to (contained: ignore), and only those', () => {
    const referral = gpReferral()
    const contained = referral.contained as JsonObject[]
    const first = contained[0] as JsonObject
    first.id = 'x'.repeat(65)
    referral.status = 'bogus'
    const all = errorSummary(validator.validate(referral))
    expect(all.some((e) => e.startsWith('ServiceRequest.contained[0]'))).toBe(true)
    expect(all).toContain('ServiceRequest.status: code-invalid')
    const outside = errorSummary(validator.validate(referral, { contained: 'ignore' }))
    expect(outside.some((e) => e.includes('.contained['))).toBe(false)
    expect(outside).toContain('ServiceRequest.status: code-invalid')
  })

  it('rejects a profiles folder it cannot use', async () => {
    await expect(createValidator({ profilesDir: join(ROOT, 'no-such-folder') })).rejects.toThrow()
  })
})

describe('valid fixtures', () => {
  it.each(referralFixtures())('%s has no errors', (file) => {
    const issues = validator.validate(readJsonObject(file))
    expect(errorsOf(issues)).toEqual([])
  })

  it.each(existsSync(join(ROOT, 'fixtures/bundles')) ? jsonFilesIn('fixtures/bundles') : [])('%s has no errors', (file) => {
    expect(errorsOf(validator.validate(readJsonObject(file)))).toEqual([])
  })

  it('includes the two NCL fixtures and claims the referral profile', () => {
    const files = referralFixtures()
    expect(files).toContain('fixtures/referrals/north-central-london/gp-referral.json')
    expect(files).toContain('fixtures/referrals/north-central-london/fit-note-triage.json')
    expect(objectAt(gpReferral(), 'meta').profile).toEqual([WORKWELL_REFERRAL_PROFILE])
  })

  it('warns, without failing, about claimed profiles it does not have', () => {
    const referral = gpReferral()
    objectAt(referral, 'contained', 1).meta = { profile: ['https://partner.example.org/StructureDefinition/Unknown'] }
    const issues = validator.validate(referral)
    expect(errorsOf(issues)).toEqual([])
    expect(issues).toContainEqual(expect.objectContaining({
      severity: 'warning',
      code: 'not-supported',
      expression: ['ServiceRequest.contained[1].meta.profile[0]']
    }))
  })
})

describe('invalid fixtures (fixtures/invalid/README.md)', () => {
  const readmePath = join(ROOT, 'fixtures/invalid/README.md')
  const rows = existsSync(readmePath)
    ? [...readFileSync(readmePath, 'utf8').matchAll(/^\| `([^`]+\.json)` \|.*\| `([^`]+)`/gm)].map((m) => [m[1] ?? '', m[2] ?? ''])
    : []

  it.skipIf(rows.length === 0)('lists every invalid fixture', () => {
    expect(rows.map(([file]) => `fixtures/invalid/${file ?? ''}`).sort()).toEqual(jsonFilesIn('fixtures/invalid'))
  })

  // "Where a ServiceRequest is expected": each is validated as a WorkWell referral.
  it.each(rows)('%s is rejected at %s', (file, expression) => {
    const issues = validator.validate(readJsonObject(`fixtures/invalid/${file}`), { profile: WORKWELL_REFERRAL_PROFILE })
    expect(errorsOf(issues).map((i) => i.expression?.[0])).toEqual([expression])
  })
})

describe('base R4 structure (@medplum/core)', () => {
  it('reports a missing required element', () => {
    expectOnlyError(validateMutated((r) => { delete r.subject }), 'ServiceRequest.subject', 'structure')
  })

  it('reports an unknown element, at the root and in a contained resource', () => {
    expectOnlyError(validateMutated((r) => { r.colour = 'blue' }), 'ServiceRequest.colour', 'structure')
    expectOnlyError(validateMutated((r) => { objectAt(r, 'contained', 0).colour = 'blue' }), 'ServiceRequest.contained[0].colour', 'structure')
  })

  it('reports a JSON type error inside a contained resource', () => {
    const issues = validateMutated((r) => { objectAt(r, 'contained', 0, 'identifier', 0).value = 9912003888 })
    expect(errorSummary(issues)).toContain('ServiceRequest.contained[0].identifier[0].value: structure')
  })

  it('reports an array where a single value belongs', () => {
    expectOnlyError(validateMutated((r) => { r.subject = [r.subject] }), 'ServiceRequest.subject', 'structure')
  })

  it('writes human-readable diagnostics', () => {
    const [missing] = errorsOf(validateMutated((r) => { delete r.subject }))
    expect(missing?.diagnostics).toBe("Missing required element 'subject' (ServiceRequest.subject)")
    const [unknown] = errorsOf(validateMutated((r) => { r.colour = 'blue' }))
    expect(unknown?.diagnostics).toMatch(/^Unknown element 'colour'/)
  })
})

describe('required bindings (not checked by @medplum/core)', () => {
  it.each([
    ['status', 'ServiceRequest.status'],
    ['intent', 'ServiceRequest.intent'],
    ['priority', 'ServiceRequest.priority']
  ])('rejects ServiceRequest.%s "bogus"', (element, expression) => {
    const issues = validateMutated((r) => { r[element] = 'bogus' })
    expectOnlyError(issues, expression, 'code-invalid')
    expect(errorsOf(issues)[0]?.diagnostics).toContain('http://hl7.org/fhir/ValueSet/request-')
  })

  it('checks a code that carries a primitive extension (_status)', () => {
    expectOnlyError(validateMutated((r) => { r.status = 'bogus'; r._status = { id: 's' } }), 'ServiceRequest.status', 'code-invalid')
  })

  it('checks codes in contained resources (Patient.gender)', () => {
    expectOnlyError(validateMutated((r) => { objectAt(r, 'contained', 0).gender = 'F' }), 'ServiceRequest.contained[0].gender', 'code-invalid')
  })

  it('checks Task.status and Task.intent', () => {
    const task = { resourceType: 'Task', status: 'requested', intent: 'order' }
    expect(errorsOf(validator.validate(task))).toEqual([])
    expect(errorSummary(validator.validate({ ...task, status: 'bogus', intent: 'referral' }))).toEqual([
      'Task.intent: code-invalid', 'Task.status: code-invalid'
    ])
  })

  it('accepts every code of the bindings', () => {
    for (const status of ['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown']) {
      expect(errorsOf(validateMutated((r) => { r.status = status }))).toEqual([])
    }
  })
})

describe('dateTime and instant zones (medplum lets a time without a zone through)', () => {
  it('rejects authoredOn with a time but no zone', () => {
    const issues = validateMutated((r) => { r.authoredOn = '2026-11-20T10:15:00' })
    expectOnlyError(issues, 'ServiceRequest.authoredOn', 'value')
    expect(errorsOf(issues)[0]?.diagnostics).toContain('no time zone')
  })

  it('rejects a choice-typed dateTime in a contained resource, named the FHIRPath way', () => {
    expectOnlyError(validateMutated((r) => { objectAt(r, 'contained', 1).effectiveDateTime = '2026-11-20T10:00:00' }),
      'ServiceRequest.contained[1].effective', 'value')
  })

  it('rejects hours without minutes and seconds, which medplum also accepts', () => {
    expectOnlyError(validateMutated((r) => { r.authoredOn = '2026-11-20T10Z' }), 'ServiceRequest.authoredOn', 'value')
  })

  it('reports a value medplum already rejects once only', () => {
    expect(errorsOf(validateMutated((r) => { r.authoredOn = '2026-11-20T25:00:00' }))).toHaveLength(1)
  })

  it.each(['2026', '2026-11', '2026-11-20', '2026-11-20T10:15:00Z', '2026-11-20T10:15:00.123+01:00'])('accepts %s', (value) => {
    expect(errorsOf(validateMutated((r) => { r.authoredOn = value }))).toEqual([])
  })
})

describe('NHS number and ODS code', () => {
  it('rejects a bad NHS number check digit without echoing the number', () => {
    const issues = validateMutated((r) => { objectAt(r, 'contained', 0, 'identifier', 0).value = '9912003890' })
    expectOnlyError(issues, 'ServiceRequest.contained[0].identifier[0].value', 'value')
    expect(errorsOf(issues)[0]?.diagnostics).not.toContain('9912003890')
  })

  it('checks an NHS number in a logical reference too', () => {
    const issues = validateMutated((r) => {
      r.subject = { type: 'Patient', identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '1234567890' } }
    })
    expect(errorSummary(issues)).toContain('ServiceRequest.subject.identifier.value: value')
  })

  it('rejects an NHS number identifier without a value', () => {
    const issues = validateMutated((r) => { delete objectAt(r, 'contained', 0, 'identifier', 0).value })
    expectOnlyError(issues, 'ServiceRequest.contained[0].identifier[0].value', 'required')
  })

  it('rejects a bad ODS code on the requester and on the registered practice', () => {
    expectOnlyError(validateMutated((r) => { objectAt(r, 'requester', 'identifier').value = '12345' }),
      'ServiceRequest.requester.identifier.value', 'value')
    expectOnlyError(validateMutated((r) => { objectAt(r, 'contained', 0, 'generalPractitioner', 0, 'identifier').value = 'f83674' }),
      'ServiceRequest.contained[0].generalPractitioner[0].identifier.value', 'value')
  })

  it('leaves identifiers of other systems alone', () => {
    expect(errorsOf(validateMutated((r) => { objectAt(r, 'identifier', 0).value = 'x' }))).toEqual([])
  })
})

describe('WorkWell required bindings (value sets in profiles/)', () => {
  it('rejects an employment situation outside its value set, in a contained Observation', () => {
    const issues = validateMutated((r) => { objectAt(r, 'contained', 1, 'valueCodeableConcept', 'coding', 0).code = 'astronaut' })
    expectOnlyError(issues, 'ServiceRequest.contained[1].value', 'code-invalid')
    expect(errorsOf(issues)[0]?.diagnostics).toContain('https://fhir.workwell.example/ValueSet/employment-situation')
  })

  it('accepts every code of the value set', () => {
    const codeSystem = readJsonObject('profiles/CodeSystem-employment-situation.json')
    const codes = (Array.isArray(codeSystem.concept) ? codeSystem.concept : []).map((c) => String(objectAt(c).code))
    expect(codes.length).toBeGreaterThan(1)
    const system = String(objectAt(gpReferral(), 'contained', 1, 'valueCodeableConcept', 'coding', 0).system)
    expect(system).toBe('https://fhir.workwell.example/CodeSystem/employment-situation')
    for (const code of codes) {
      const issues = validateMutated((r) => { objectAt(r, 'contained', 1, 'valueCodeableConcept', 'coding', 0).code = code })
      expect(errorsOf(issues).filter((i) => i.code === 'code-invalid').map((i) => i.expression?.[0])).toEqual([])
    }
  })
})

describe('the WorkWell referral profile', () => {
  it.each(['requester', 'authoredOn', 'code', 'category'])('requires %s (base R4 does not)', (element) => {
    expectOnlyError(validateMutated((r) => { delete r[element] }), `ServiceRequest.${element}`, 'structure')
    // Without the profile the same resource is valid base R4: the rule comes from the profile.
    expect(errorsOf(validateMutated((r) => { delete r[element]; delete r.meta }))).toEqual([])
  })

  it('applies when options.profile names it, even without a meta.profile claim', () => {
    expectOnlyError(validateMutated((r) => { delete r.requester; delete r.meta }, { profile: WORKWELL_REFERRAL_PROFILE }),
      'ServiceRequest.requester', 'structure')
  })

  it('rejects an empty category array', () => {
    expect(errorSummary(validateMutated((r) => { r.category = [] }))).toContain('ServiceRequest.category: structure')
  })

  it.each([
    ['Practitioner/1', { reference: 'Practitioner/1' }],
    ['an absolute URL', { reference: 'https://fhir.example.org/fhir/Practitioner/1/_history/2' }],
    ['a contained Consent', { reference: '#consent' }],
    ['Reference.type', { type: 'Group', identifier: { system: 'https://example.org/groups', value: 'g1' } }],
    ['a conditional reference', { reference: 'Group?identifier=g1' }]
  ])('rejects a subject that is not a Patient: %s', (_label, subject) => {
    const issues = validateMutated((r) => { r.subject = subject })
    expectOnlyError(issues, 'ServiceRequest.subject', 'invalid')
    // medplum's own warning on the same element is replaced by the error.
    expect(issues.filter((i) => i.expression?.[0] === 'ServiceRequest.subject')).toHaveLength(1)
  })

  it('rejects a subject pointing at no contained resource (ref-1, once)', () => {
    const issues = validateMutated((r) => { r.subject = { reference: '#nobody' } })
    expectOnlyError(issues, 'ServiceRequest.subject', 'invariant')
    expect(errorsOf(issues)[0]?.diagnostics).toMatch(/^Constraint ref-1 not met/)
  })

  it.each([
    ['Patient/123', { reference: 'Patient/123' }],
    ['a urn:uuid (resolved in the Bundle, later)', { reference: 'urn:uuid:1a967bef-d66f-4561-8198-e9357431ff17' }],
    ['an identifier with type Patient', { type: 'Patient', identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9912003888' } }]
  ])('accepts a subject that is a Patient: %s', (_label, subject) => {
    expect(errorsOf(validateMutated((r) => { r.subject = subject }))).toEqual([])
  })

  it('only warns about a non-Patient subject without the profile (base R4 allows Group, Device, Location)', () => {
    expect(errorsOf(validateMutated((r) => { r.subject = { reference: 'Group/1' }; delete r.meta }))).toEqual([])
  })

  it('rejects a resource of another type asked to meet it, naming the expected type', () => {
    const issues = validator.validate(readJsonObject('fixtures/invalid/wrong-resource-type.json'), { profile: WORKWELL_REFERRAL_PROFILE })
    expectOnlyError(issues, 'Patient', 'invalid')
    expect(errorsOf(issues)[0]?.diagnostics).toContain('ServiceRequest')
  })

  it('rejects a resource of another type that claims it', () => {
    const patient = { ...objectAt(gpReferral(), 'contained', 0), meta: { profile: [WORKWELL_REFERRAL_PROFILE] } }
    expectOnlyError(validator.validate(patient), 'Patient.meta.profile[0]', 'invalid')
  })

  it('warns about an unknown claimed profile and an error for an unknown requested one', () => {
    const claimed = validateMutated((r) => { objectAt(r, 'meta').profile = [WORKWELL_REFERRAL_PROFILE, 'https://example.org/StructureDefinition/Other'] })
    expect(errorsOf(claimed)).toEqual([])
    expect(claimed).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'not-supported', expression: ['ServiceRequest.meta.profile[1]'] }))

    const requested = validator.validate(gpReferral(), { profile: 'https://example.org/StructureDefinition/Other' })
    expect(errorsOf(requested)).toEqual([expect.objectContaining({ code: 'not-supported' })])
  })

  it('applies to a referral inside a transaction Bundle', () => {
    const file = 'fixtures/bundles/greater-manchester-transaction.json'
    if (!existsSync(join(ROOT, file))) {
      return
    }
    const bundle = readJsonObject(file)
    const entries = Array.isArray(bundle.entry) ? bundle.entry : []
    const index = entries.findIndex((e) => objectAt(e, 'resource').resourceType === 'ServiceRequest')
    delete objectAt(bundle, 'entry', index, 'resource').requester
    const issues = validator.validate(bundle)
    expectOnlyError(issues, `Bundle.entry[${index}].resource.requester`, 'structure')
    expect(errorsOf(issues)[0]?.diagnostics).toContain(`(Bundle.entry[${index}].resource.requester)`)
  })
})

describe('never throws', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ServiceRequest'],
    ['a number', 42],
    ['a boolean', true],
    ['an array', [gpReferral()]]
  ])('on %s: one structure error', (_label, value) => {
    const issues = validator.validate(value)
    expect(issues).toEqual([expect.objectContaining({ severity: 'error', code: 'structure' })])
  })

  it('on an object without a resourceType', () => {
    expect(errorSummary(validator.validate({ id: 'x' }))).toEqual(['(none): structure'])
    expect(errorSummary(validator.validate({ resourceType: 7 }))).toEqual(['(none): structure'])
  })

  it('on an unknown resourceType', () => {
    const issues = validator.validate({ resourceType: 'Referral', status: 'active' })
    expect(errorSummary(issues)).toEqual(['(none): invalid'])
    expect(issues[0]?.diagnostics).toContain("'Referral'")
  })

  it('on unusable contained resources, still checking the rest', () => {
    const issues = validateMutated((r) => {
      const contained = Array.isArray(r.contained) ? r.contained : []
      contained.push({ resourceType: 'Referral', id: 'x' }, 'text', null, { id: 'no-type' })
      r.status = 'bogus'
    })
    expect(errorSummary(issues)).toEqual([
      'ServiceRequest.contained[3]: structure',
      'ServiceRequest.contained[4]: structure',
      'ServiceRequest.contained[5]: structure',
      'ServiceRequest.contained[6]: structure',
      'ServiceRequest.status: code-invalid'
    ])
  })

  it('on an unknown resource type in a Bundle entry', () => {
    const issues = validator.validate({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Referral' } }] })
    expect(errorSummary(issues)).toEqual(['Bundle.entry[0].resource: structure'])
  })

  it('on structurally hostile content', () => {
    for (const mutate of [
      (r: JsonObject) => { r.contained = 5 },
      (r: JsonObject) => { r.contained = { resourceType: 'Referral' } },
      (r: JsonObject) => { r.meta = 'x' },
      (r: JsonObject) => { r.meta = { profile: [7, null] } },
      (r: JsonObject) => { r.subject = [] },
      (r: JsonObject) => { r.requester = 'Practitioner/1' },
      (r: JsonObject) => { r.category = [null] },
      (r: JsonObject) => { r._authoredOn = [1, 2] }
    ]) {
      const issues = validateMutated(mutate)
      expect(Array.isArray(issues)).toBe(true)
      expect(errorsOf(issues).length).toBeGreaterThan(0)
      expect(issues.every((i) => i.code !== 'exception')).toBe(true)
    }
  })
})

describe('JSON shapes the engine cannot take', () => {
  it('reports a string where an object belongs once, however long it is', () => {
    const issues = validateMutated((r) => { r.requester = 'P'.repeat(100_000) })
    // The shape error, once; the profile's own requester rule (ww-ref-1) may add its finding.
    expect(errorSummary(issues).filter((s) => s.startsWith('ServiceRequest.requester'))).toEqual(['ServiceRequest.requester: structure'])
    expect(errorsOf(issues).length).toBeLessThanOrEqual(2)
    expect(errorsOf(issues).map((i) => i.diagnostics)).toContain('ServiceRequest.requester must be a JSON object (FHIR type Reference), not a string')
  })

  it('reports a primitive extension element of the wrong shape instead of failing', () => {
    expectOnlyError(validateMutated((r) => { r._authoredOn = [{ id: 'a' }] }), 'ServiceRequest._authoredOn', 'structure')
    expectOnlyError(validateMutated((r) => { r.instantiatesUri = ['https://example.org/a']; r._instantiatesUri = 5 }),
      'ServiceRequest._instantiatesUri', 'structure')
  })

  it('accepts well-formed primitive extensions', () => {
    expect(errorsOf(validateMutated((r) => {
      r._authoredOn = { extension: [{ url: 'https://example.org/x', valueString: 'y' }] }
      r.instantiatesUri = ['https://example.org/a', 'https://example.org/b']
      r._instantiatesUri = [null, { id: 'b' }]
    }))).toEqual([])
  })
})

describe('issue order', () => {
  const defects = (r: JsonObject): void => {
    r.status = 'bogus'
    r.colour = 'blue'
    delete r.requester
    r.authoredOn = '2026-11-20T10:15:00'
    objectAt(r, 'contained', 0).gender = 'F'
    objectAt(r, 'contained', 0, 'identifier', 0).value = '9912003890'
    objectAt(r, 'contained', 1).meta = { profile: ['https://partner.example.org/StructureDefinition/Unknown'] }
    objectAt(r, 'contained', 2).meta = { profile: ['https://partner.example.org/StructureDefinition/Unknown'] }
  }

  it('is errors first, then by expression', () => {
    const issues = validateMutated(defects)
    expect(issues.map((i) => `${i.severity} ${i.expression?.[0] ?? ''}`)).toEqual([
      'error ServiceRequest.authoredOn',
      'error ServiceRequest.colour',
      'error ServiceRequest.contained[0].gender',
      'error ServiceRequest.contained[0].identifier[0].value',
      'error ServiceRequest.requester',
      'error ServiceRequest.status',
      'warning ServiceRequest.contained[1].meta.profile[0]',
      'warning ServiceRequest.contained[2].meta.profile[0]'
    ])
  })

  it('does not depend on the order of the JSON properties', () => {
    const referral = gpReferral()
    defects(referral)
    const reversed = Object.fromEntries(Object.entries(referral).reverse())
    expect(validator.validate(reversed)).toEqual(validator.validate(referral))
  })
})
