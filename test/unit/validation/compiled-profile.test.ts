import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes'
import { beforeAll, describe, expect, it } from 'vitest'
import type { BaseDefinitions } from '../../../src/validation/base-definitions.ts'
import { findBaseDefinition, loadBaseDefinitions } from '../../../src/validation/base-definitions.ts'
import type { CompileOptions, CompiledProfileCheck } from '../../../src/validation/compiled-profile.ts'
import { compileProfile } from '../../../src/validation/compiled-profile.ts'
import { generateSnapshot } from '../../../src/validation/snapshot.ts'

/** Profile features of the compiled checks, each on a small profile built here from a differential. */

let base: BaseDefinitions
beforeAll(async () => {
  base = await loadBaseDefinitions()
})

function compile (type: string, differential: ElementDefinition[], options: CompileOptions = {}): CompiledProfileCheck {
  const parent = findBaseDefinition(base, type)
  if (!parent) {
    throw new Error(`no base ${type}`)
  }
  const profile: StructureDefinition = {
    resourceType: 'StructureDefinition',
    url: `https://example.org/StructureDefinition/${type}-test`,
    name: 'Test',
    status: 'draft',
    kind: 'resource',
    abstract: false,
    type,
    baseDefinition: parent.url,
    derivation: 'constraint',
    differential: { element: differential }
  }
  return compileProfile(generateSnapshot(profile, parent, (code) => findBaseDefinition(base, code)), new Set(), options)
}

const where = (issues: ReturnType<CompiledProfileCheck>): string[] => issues.filter((i) => i.severity === 'error').map((i) => `${i.expression?.[0] ?? ''}: ${i.code}`)

describe('compileProfile', () => {
  it('evaluates an invariant below contained with the contained resource as %resource and the container as %rootResource', () => {
    const check = compile('Patient', [
      { id: 'Patient.contained', path: 'Patient.contained', type: [{ code: 'Practitioner' }], constraint: [{ key: 't-1', severity: 'error', human: 'on the contained resource', expression: "%resource.resourceType = 'Patient' and %rootResource.resourceType = 'Patient'" }] },
      { id: 'Patient.contained.name', path: 'Patient.contained.name', constraint: [{ key: 't-2', severity: 'error', human: 'inside it', expression: "%resource.resourceType = 'Practitioner' and %rootResource.resourceType = 'Patient' and %resource.id = 'p1'" }] }
    ])
    const patient = { resourceType: 'Patient', contained: [{ resourceType: 'Practitioner', id: 'p1', name: [{ text: 'Dr Malaprop' }] }] }
    expect(where(check(patient, 'Patient'))).toEqual([])
    const other = { resourceType: 'Patient', contained: [{ resourceType: 'Practitioner', id: 'p2', name: [{ text: 'Dr Who' }] }] }
    expect(where(check(other, 'Patient'))).toEqual(['Patient.contained[0].name[0]: invariant'])
  })

  it('checks minValueDuration and maxValueDuration against the clock it is given', () => {
    // minValueDuration is not in the R4 typings (the HL7 test cases use it all the same).
    const birthDate = {
      id: 'Patient.birthDate',
      path: 'Patient.birthDate',
      minValueDuration: { value: 100, code: 'a', system: 'http://unitsofmeasure.org' },
      maxValueDuration: { value: 1, code: 'a', system: 'http://unitsofmeasure.org' }
    } as ElementDefinition
    const check = compile('Patient', [birthDate], { now: () => new Date('2026-06-01T00:00:00Z') })
    expect(where(check({ resourceType: 'Patient', birthDate: '1950-01-01' }, 'Patient'))).toEqual([])
    expect(where(check({ resourceType: 'Patient', birthDate: '1900-01-01' }, 'Patient'))).toEqual(['Patient.birthDate: value'])
    expect(where(check({ resourceType: 'Patient', birthDate: '2030-01-01' }, 'Patient'))).toEqual(['Patient.birthDate: value'])
  })

  it('checks a required binding to a value set it can expand', () => {
    const check = compile('Patient', [{
      id: 'Patient.maritalStatus',
      path: 'Patient.maritalStatus',
      binding: { strength: 'required', valueSet: 'https://example.org/ValueSet/m' }
    }], { valueSet: (url) => url === 'https://example.org/ValueSet/m' ? ['https://example.org/cs|a'] : undefined })
    const patient = (code: string): Record<string, unknown> => ({ resourceType: 'Patient', maritalStatus: { coding: [{ system: 'https://example.org/cs', code }] } })
    expect(where(check(patient('a'), 'Patient'))).toEqual([])
    expect(where(check(patient('b'), 'Patient'))).toEqual(['Patient.maritalStatus: code-invalid'])
    expect(where(check({ resourceType: 'Patient', maritalStatus: { text: 'married' } }, 'Patient'))).toEqual([])
  })

  it('matches slices by profile, running the profile the slice names', () => {
    const women = compile('Patient', [{ id: 'Patient.gender', path: 'Patient.gender', min: 1, fixedCode: 'female' }])
    const check = compile('Bundle', [
      { id: 'Bundle.entry', path: 'Bundle.entry', slicing: { discriminator: [{ type: 'profile', path: 'resource' }], rules: 'open' } },
      { id: 'Bundle.entry:woman', path: 'Bundle.entry', sliceName: 'woman', min: 1, max: '1' },
      { id: 'Bundle.entry:woman.resource', path: 'Bundle.entry.resource', type: [{ code: 'Patient', profile: ['https://example.org/women'] }] }
    ], { lookup: (url) => url === 'https://example.org/women' ? { type: 'Patient', check: women } : undefined })
    const bundle = (...genders: string[]): Record<string, unknown> => ({
      resourceType: 'Bundle',
      type: 'collection',
      entry: genders.map((gender) => ({ resource: { resourceType: 'Patient', gender } }))
    })
    expect(where(check(bundle('male', 'female'), 'Bundle'))).toEqual([])
    expect(where(check(bundle('male'), 'Bundle'))).toEqual(['Bundle.entry: structure'])
    expect(where(check(bundle('female', 'female'), 'Bundle'))).toEqual(['Bundle.entry: structure'])
  })

  it('reports a missing element once, not once more per required slice', () => {
    const check = compile('Patient', [
      { id: 'Patient.identifier', path: 'Patient.identifier', min: 1, slicing: { discriminator: [{ type: 'value', path: 'system' }], rules: 'open' } },
      { id: 'Patient.identifier:nhs', path: 'Patient.identifier', sliceName: 'nhs', min: 1, max: '1' },
      { id: 'Patient.identifier:nhs.system', path: 'Patient.identifier.system', fixedUri: 'https://fhir.nhs.uk/Id/nhs-number' }
    ])
    expect(where(check({ resourceType: 'Patient' }, 'Patient'))).toEqual(['Patient.identifier: structure'])
    expect(where(check({ resourceType: 'Patient', identifier: [{ system: 'x', value: '1' }] }, 'Patient'))).toEqual(['Patient.identifier: structure'])
  })
})
