import { beforeAll, describe, expect, it } from 'vitest'
import { createValidator } from '../../../src/validation/create-validator.ts'
import { WALK_ISSUE_LIMIT, walkFull } from '../../../src/validation/structure.ts'
import { issue } from '../../../src/fhir/operation-outcome.ts'
import type { JsonObject } from '../../../src/validation/json.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'
import { errorSummary, PROFILES_DIR } from './helpers.ts'

/**
 * Base R4 checks of the compiled walk (structure.ts, bundle-rules.ts, invariants.ts) that the
 * referral mutations in validator.test.ts do not reach: each case is one rule, with one
 * resource that breaks it and, where the rule has a boundary, one that does not.
 */

let validator: ResourceValidator
beforeAll(async () => {
  validator = await createValidator({ profilesDir: PROFILES_DIR })
})

const errors = (resource: JsonObject): string[] => errorSummary(validator.validate(resource))
const patient = (extra: JsonObject): JsonObject => ({ resourceType: 'Patient', ...extra })

describe('resource ids and primitive formats', () => {
  it.each([['bad_id'], ['bad id'], ['x'.repeat(65)]])('rejects the resource id %s', (id) => {
    expect(errors(patient({ id }))).toEqual(['Patient.id: value'])
  })

  it('accepts a 64-character id and checks contained ids too', () => {
    expect(errors(patient({ id: 'a'.repeat(64) }))).toEqual([])
    const contained = { resourceType: 'Practitioner', id: 'p_1', name: [{ family: 'X' }] }
    expect(errors({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, contained: [contained], performer: [{ reference: '#p_1' }] }))
      .toContain('Observation.contained[0].id: value')
  })

  it('checks string, uri, code and id formats exactly as the R4 regular expressions do', () => {
    // The walk tests these formats a character at a time; every whitespace character, and a
    // few others, in every position must give the verdict of the regular expression itself.
    const formats: Record<string, RegExp> = {
      string: /^(?:[ \r\n\t\S]+)$/,
      uri: /^(?:\S*)$/,
      code: /^(?:[^\s]+(\s[^\s]+)*)$/,
      id: /^(?:[A-Za-z0-9\-.]{1,64})$/
    }
    const odd = [' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u1680', '\u2000', '\u200a', '\u200b', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u0085', '_', '-', '.', 'é']
    const values = odd.flatMap((c) => [c, `a${c}`, `${c}b`, `a${c}b`, `a${c}${c}b`])
    for (const value of values) {
      const coding = { system: `http://x/${value}`, code: value, display: value }
      const found = errors({ resourceType: 'Observation', id: value, status: 'final', code: { coding: [coding] } })
      const expected = [
        ...(formats.id?.test(value) === true ? [] : ['Observation.id: value']),
        ...(formats.uri?.test(coding.system) === true ? [] : ['Observation.code.coding[0].system: value']),
        ...(formats.code?.test(value) === true ? [] : ['Observation.code.coding[0].code: value']),
        ...(formats.string?.test(value) === true ? [] : ['Observation.code.coding[0].display: value'])
      ]
      expect([JSON.stringify(value), ...found.sort()]).toEqual([JSON.stringify(value), ...expected.sort()])
    }
  })

  it('allows no extension on Resource.id', () => {
    expect(errors(patient({ id: 'a', _id: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] } }))).toEqual(['Patient._id: structure'])
  })

  it('checks integers, their ranges and JSON types', () => {
    const base = { resourceType: 'Observation', status: 'final', code: { text: 'x' } }
    expect(errors({ ...base, valueInteger: 1.5 })).toEqual(['Observation.value: value'])
    expect(errors({ ...base, valueInteger: 2 ** 31 })).toEqual(['Observation.value: value'])
    expect(errors({ ...base, valueInteger: '1' })).toEqual(['Observation.value: structure'])
    expect(errors({ ...base, valueInteger: -5 })).toEqual([])
  })

  it('rejects empty objects, arrays and strings', () => {
    expect(errors(patient({ name: [{}] }))).toEqual(['Patient.name[0]: structure'])
    expect(errors(patient({ name: [] }))).toEqual(['Patient.name: structure'])
    expect(errors(patient({ gender: '' }))).toEqual(['Patient.gender: structure'])
  })

  it('rejects a choice element given two types', () => {
    expect(errors(patient({ deceasedBoolean: true, deceasedDateTime: '2020-01-01' }))).toEqual(['Patient.deceased: structure'])
  })

  it('checks that Attachment.size is the size of the data', () => {
    const media = (size: number): JsonObject => ({ resourceType: 'Media', status: 'completed', content: { contentType: 'text/plain', data: 'aGVsbG8gd29ybGQhIQ==', size } })
    expect(errors(media(13))).toEqual([])
    expect(errors(media(100))).toEqual(['Media.content: value'])
  })

  it('requires a SimpleQuantity without comparator where R4 says SimpleQuantity', () => {
    const request = { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/1' } }
    expect(errors({ ...request, quantityQuantity: { value: 1, comparator: '<' } })).toEqual([])
    expect(errors({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, referenceRange: [{ low: { value: 1, comparator: '<' } }] }))
      .toEqual(['Observation.referenceRange[0].low: invariant'])
  })
})

describe('extensions', () => {
  it('checks an R4 core extension\'s value type and context', () => {
    const family = (ext: JsonObject): JsonObject => patient({ name: [{ family: 'Smith', _family: { extension: [ext] } }] })
    const url = 'http://hl7.org/fhir/StructureDefinition/humanname-mothers-family'
    expect(errors(family({ url, valueString: 'Jones' }))).toEqual([])
    expect(errors(family({ url, valueCode: 'jones' }))).toEqual(['Patient.name[0].family.extension[0]: structure'])
    expect(errors(patient({ name: [{ family: 'Smith', extension: [{ url, valueString: 'Jones' }] }] })))
      .toEqual(['Patient.name[0].extension[0]: structure'])
  })

  it('leaves extensions nobody here defines alone (extension is open)', () => {
    expect(errors(patient({ extension: [{ url: 'https://example.org/unknown', valueString: 'x' }] }))).toEqual([])
  })

  it('checks an extension defined in profiles/ against its definition', () => {
    const task = (ext: JsonObject): JsonObject => ({ resourceType: 'Task', status: 'requested', intent: 'order', extension: [ext] })
    const url = 'https://fhir.workwell.example/StructureDefinition/triage-rules-version'
    expect(errors(task({ url, valueString: '2026-11' }))).toEqual([])
    expect(errors(task({ url, valueInteger: 3 })).length).toBeGreaterThan(0)
  })

  it('enforces ext-1: a value or nested extensions, not both', () => {
    expect(errors(patient({ extension: [{ url: 'https://example.org/x', valueString: 'a', extension: [{ url: 'b', valueString: 'c' }] }] })))
      .toEqual(['Patient.extension[0]: invariant'])
  })
})

describe('invariants', () => {
  it('applies per-1 at the precision both dates share, as the Java validator does', () => {
    const encounter = (start: string, end: string): JsonObject => ({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start, end } })
    expect(errors(encounter('2023-06-20', '2023-06-21T06:20:00Z'))).toEqual([])
    expect(errors(encounter('2023-06-21T06:00:00Z', '2023-06-21T06:20:00Z'))).toEqual([])
    expect(errors(encounter('2023-06-21T07:00:00Z', '2023-06-21T06:20:00Z'))).toEqual(['Encounter.period: invariant'])
    expect(errors(encounter('2023-06-21', '2023-06-21T06:20:00Z'))).toEqual(['Encounter.period: invariant'])
  })

  it('runs compiled FHIRPath invariants (pat-1 on Patient.contact)', () => {
    expect(errors(patient({ contact: [{ gender: 'male' }] }))).toEqual(['Patient.contact[0]: invariant'])
    expect(errors(patient({ contact: [{ name: { family: 'X' } }] }))).toEqual([])
  })
})

describe('Bundle rules', () => {
  const entry = (fullUrl: string, resource: JsonObject): JsonObject => ({ fullUrl, resource, request: { method: 'POST', url: String(resource.resourceType) } })

  it('requires absolute fullUrls', () => {
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'Patient/1', resource: patient({ id: '1' }) }] }
    expect(errors(bundle)).toEqual(['Bundle.entry[0].fullUrl: invalid'])
  })

  it('resolves urn:uuid references inside a transaction', () => {
    const id = 'urn:uuid:5c7e8e1a-3a8c-4c57-9a43-6b9e0c2f3d11'
    const observation = (ref: string): JsonObject => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: ref } })
    const bundle = (ref: string): JsonObject => ({ resourceType: 'Bundle', type: 'transaction', entry: [entry(id, patient({})), entry('urn:uuid:0b7e8e1a-3a8c-4c57-9a43-6b9e0c2f3d12', observation(ref))] })
    expect(errors(bundle(id))).toEqual([])
    expect(errors(bundle('urn:uuid:99999999-3a8c-4c57-9a43-6b9e0c2f3d11'))).toEqual(['Bundle.entry[1].resource.subject: not-found'])
  })

  it('allows each link relation once', () => {
    const link = [{ relation: 'self', url: 'https://a.example/1' }, { relation: 'self', url: 'https://a.example/2' }]
    expect(errors({ resourceType: 'Bundle', type: 'searchset', link })).toEqual(['Bundle.link[1]: invalid'])
  })

  it('requires ids on search results, not on an OperationOutcome about the search', () => {
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'informational' }] }
    expect(errors({ resourceType: 'Bundle', type: 'searchset', entry: [{ fullUrl: 'https://a.example/x', resource: outcome }] })).toEqual([])
    expect(errors({ resourceType: 'Bundle', type: 'searchset', entry: [{ fullUrl: 'https://a.example/Patient/1', resource: patient({}), search: { mode: 'match' } }] }))
      .toEqual(['Bundle.entry[0].resource: invalid'])
  })
})

describe('a body with very many faults', () => {
  it('stops the walk after WALK_ISSUE_LIMIT issues, an error among them', () => {
    const issues = validator.validate(patient({ identifier: Array.from({ length: 5_000 }, () => ({ bogus: 1 })) }))
    expect(issues.length).toBeGreaterThanOrEqual(WALK_ISSUE_LIMIT)
    expect(issues.length).toBeLessThan(WALK_ISSUE_LIMIT + 10)
    expect(issues.every((i) => i.severity === 'error')).toBe(true)
    // under the limit, every fault is reported
    expect(validator.validate(patient({ identifier: Array.from({ length: 50 }, () => ({ bogus: 1 })) }))).toHaveLength(50)
  })

  it('is not stopped by warnings alone, which could hide an error further on', () => {
    const warning = issue('warning', 'processing', 'could not be evaluated')
    const ctx = { issues: Array.from({ length: WALK_ISSUE_LIMIT }, () => warning), errorsScanned: 0, errorFound: false }
    expect(walkFull(ctx)).toBe(false)
    expect(ctx.errorsScanned).toBe(WALK_ISSUE_LIMIT)
    ctx.issues.push(issue('error', 'structure', 'an error'))
    expect(walkFull(ctx)).toBe(true)
    expect(walkFull({ issues: [issue('error', 'structure', 'one')], errorsScanned: 0, errorFound: false })).toBe(false)
  })
})
