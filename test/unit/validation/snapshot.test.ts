import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes'
import { beforeAll, describe, expect, it } from 'vitest'
import type { BaseDefinitions } from '../../../src/validation/base-definitions.ts'
import { findBaseDefinition, loadBaseDefinitions } from '../../../src/validation/base-definitions.ts'
import { isStructureDefinition } from '../../../src/validation/json.ts'
import { WORKWELL_REFERRAL_PROFILE } from '../../../src/validation/profiles.ts'
import { generateSnapshot, mergeDifferential } from '../../../src/validation/snapshot.ts'
import { readJsonObject, ROOT } from './helpers.ts'

const UKCORE_DIR = join(ROOT, '..', 'shared', 'fhir', 'ukcore', 'json', 'structuredefinitions')

let base: BaseDefinitions
let serviceRequest: StructureDefinition
const lookupType = (code: string): StructureDefinition | undefined => findBaseDefinition(base, code)
const merge = (...differential: ElementDefinition[]): ElementDefinition[] =>
  mergeDifferential(serviceRequest.snapshot?.element ?? [], differential, lookupType)
const byId = (elements: ElementDefinition[], id: string): ElementDefinition | undefined => elements.find((e) => e.id === id)

beforeAll(async () => {
  base = await loadBaseDefinitions()
  const found = findBaseDefinition(base, 'ServiceRequest')
  if (!found) {
    throw new Error('no base ServiceRequest')
  }
  serviceRequest = found
})

describe('mergeDifferential', () => {
  it('narrows cardinality and types, keeping the base element otherwise', () => {
    const merged = merge(
      { id: 'ServiceRequest.requester', path: 'ServiceRequest.requester', min: 1 },
      {
        id: 'ServiceRequest.subject',
        path: 'ServiceRequest.subject',
        type: [{ code: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Patient'] }]
      }
    )
    expect(merged).toHaveLength(serviceRequest.snapshot?.element.length ?? -1)
    expect(byId(merged, 'ServiceRequest.requester')).toMatchObject({ min: 1, max: '1', base: { min: 0 } })
    expect(byId(merged, 'ServiceRequest.subject')?.type).toEqual([
      { code: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Patient'] }
    ])
    expect(byId(merged, 'ServiceRequest.subject')?.definition).toBe(byId(serviceRequest.snapshot?.element ?? [], 'ServiceRequest.subject')?.definition)
  })

  it('does not change the base it was given', () => {
    merge({ id: 'ServiceRequest.requester', path: 'ServiceRequest.requester', min: 1 })
    expect(byId(serviceRequest.snapshot?.element ?? [], 'ServiceRequest.requester')?.min).toBe(0)
  })

  it('appends constraints instead of replacing them', () => {
    const merged = merge({
      id: 'ServiceRequest',
      path: 'ServiceRequest',
      constraint: [{ key: 'wwl-1', severity: 'error', human: 'h', expression: 'true' }]
    })
    expect(byId(merged, 'ServiceRequest')?.constraint?.map((c) => c.key)).toEqual(expect.arrayContaining(['dom-2', 'prr-1', 'wwl-1']))
  })

  it('unfolds a datatype to reach a child path', () => {
    const merged = merge({ id: 'ServiceRequest.code.text', path: 'ServiceRequest.code.text', min: 1 })
    const at = merged.findIndex((e) => e.id === 'ServiceRequest.code')
    expect(merged.slice(at, at + 5).map((e) => e.id)).toEqual([
      'ServiceRequest.code', 'ServiceRequest.code.id', 'ServiceRequest.code.extension',
      'ServiceRequest.code.coding', 'ServiceRequest.code.text'
    ])
    expect(byId(merged, 'ServiceRequest.code.text')).toMatchObject({ path: 'ServiceRequest.code.text', min: 1, base: { path: 'CodeableConcept.text' } })
  })

  it('adds extension slices after the sliced element, with the implicit slicing by url', () => {
    const merged = merge(
      { id: 'ServiceRequest.extension:a', path: 'ServiceRequest.extension', sliceName: 'a', max: '1' },
      { id: 'ServiceRequest.extension:b', path: 'ServiceRequest.extension', sliceName: 'b' }
    )
    const at = merged.findIndex((e) => e.id === 'ServiceRequest.extension')
    expect(merged.slice(at, at + 4).map((e) => e.id)).toEqual([
      'ServiceRequest.extension', 'ServiceRequest.extension:a', 'ServiceRequest.extension:b', 'ServiceRequest.modifierExtension'
    ])
    expect(merged[at]?.slicing).toMatchObject({ discriminator: [{ type: 'value', path: 'url' }], rules: 'open' })
    expect(merged[at + 1]).toMatchObject({ sliceName: 'a', max: '1', path: 'ServiceRequest.extension' })
    expect(merged[at + 1]?.slicing).toBeUndefined()
  })

  it.each([
    [{ id: 'ServiceRequest.subject', path: 'ServiceRequest.subject', min: 0 }, /min 0 is below/],
    [{ id: 'ServiceRequest.requester', path: 'ServiceRequest.requester', max: '2' }, /max 2 is above/],
    [{ id: 'ServiceRequest.subject', path: 'ServiceRequest.subject', type: [{ code: 'string' }] }, /type string is not allowed/],
    [{ id: 'ServiceRequest.colour', path: 'ServiceRequest.colour' }, /not defined in the base/],
    [{ id: 'ServiceRequest.category:x', path: 'ServiceRequest.category', sliceName: 'x' }, /has no slicing/],
    [{ path: 'ServiceRequest.code' }, /has no id/]
  ])('refuses a differential it cannot merge faithfully: %j', (diff, message) => {
    expect(() => merge(diff)).toThrow(message)
  })

  it('gives a new slice its own cardinality, from 0 rather than the sliced element\'s minimum', () => {
    const merged = merge(
      { id: 'ServiceRequest.category', path: 'ServiceRequest.category', min: 2, slicing: { discriminator: [{ type: 'pattern', path: '$this' }], rules: 'open' } },
      { id: 'ServiceRequest.category:one', path: 'ServiceRequest.category', sliceName: 'one', min: 1 }
    )
    expect(byId(merged, 'ServiceRequest.category:one')).toMatchObject({ min: 1, sliceName: 'one' })
  })

  it('reads a type-specific choice name as the choice element narrowed to that type', () => {
    const merged = merge(
      { id: 'ServiceRequest.occurrenceDateTime', path: 'ServiceRequest.occurrenceDateTime', min: 1 },
      { id: 'ServiceRequest.quantityQuantity.value', path: 'ServiceRequest.quantityQuantity.value', min: 1 }
    )
    expect(byId(merged, 'ServiceRequest.occurrence[x]')).toMatchObject({ min: 1, type: [{ code: 'dateTime' }] })
    expect(byId(merged, 'ServiceRequest.quantity[x]')?.type?.map((t) => t.code)).toEqual(['Quantity'])
    expect(byId(merged, 'ServiceRequest.quantity[x].value')).toMatchObject({ min: 1 })
  })

  it('gives a slice of a BackboneElement the children of the element it slices', () => {
    const observation = findBaseDefinition(base, 'Observation')
    const merged = mergeDifferential(observation?.snapshot?.element ?? [], [
      { id: 'Observation.component', path: 'Observation.component', slicing: { discriminator: [{ type: 'pattern', path: 'code' }], rules: 'open' } },
      { id: 'Observation.component:a', path: 'Observation.component', sliceName: 'a' },
      { id: 'Observation.component:a.value[x]', path: 'Observation.component.value[x]', type: [{ code: 'boolean' }] }
    ], lookupType)
    expect(byId(merged, 'Observation.component:a.code')).toMatchObject({ path: 'Observation.component.code', min: 1 })
    expect(byId(merged, 'Observation.component:a.value[x]')?.type).toEqual([{ code: 'boolean' }])
  })

  it('lets a Resource element be narrowed to a resource type', () => {
    const merged = merge({ id: 'ServiceRequest.contained', path: 'ServiceRequest.contained', type: [{ code: 'Patient' }] })
    expect(byId(merged, 'ServiceRequest.contained')?.type).toEqual([{ code: 'Patient' }])
  })

  it('refuses a profile of another type', () => {
    expect(() => generateSnapshot({ resourceType: 'StructureDefinition', type: 'Task' } as StructureDefinition, serviceRequest, lookupType))
      .toThrow(/differs from base type/)
  })
})

describe('the committed WorkWell referral profile', () => {
  const raw = readJsonObject('profiles/StructureDefinition-WorkWell-Referral.json')
  const profile = isStructureDefinition(raw) ? raw : undefined
  const element = (id: string): ElementDefinition | undefined => profile?.snapshot?.element.find((e) => e.id === id)

  it('has the header the gateway relies on', () => {
    expect(profile).toMatchObject({
      url: WORKWELL_REFERRAL_PROFILE,
      name: 'WorkWellReferral',
      status: 'draft',
      fhirVersion: '4.0.1',
      kind: 'resource',
      type: 'ServiceRequest',
      derivation: 'constraint',
      baseDefinition: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest'
    })
  })

  it('carries a snapshot with the differential applied', () => {
    expect(element('ServiceRequest.requester')).toMatchObject({ min: 1, max: '1' })
    expect(element('ServiceRequest.authoredOn')).toMatchObject({ min: 1, max: '1' })
    expect(element('ServiceRequest.code')).toMatchObject({ min: 1, max: '1' })
    expect(element('ServiceRequest.category')).toMatchObject({ min: 1, max: '*' })
    expect(element('ServiceRequest.subject')?.type).toEqual([
      { code: 'Reference', targetProfile: ['https://fhir.workwell.example/StructureDefinition/WorkWell-Patient'] }
    ])
    expect(element('ServiceRequest.code')?.binding).toMatchObject({ strength: 'required', valueSet: 'https://fhir.workwell.example/ValueSet/referral-code' })
    expect(element('ServiceRequest.status')).toMatchObject({ min: 1, mustSupport: true })
    expect(element('ServiceRequest.intent')).toMatchObject({ min: 1, mustSupport: true })
  })

  it('includes the UK Core ServiceRequest layer (its slices and bindings)', () => {
    expect(element('ServiceRequest.extension:sourceOfServiceRequest')?.type?.[0]?.profile).toEqual([
      'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-SourceOfServiceRequest'
    ])
    expect(element('ServiceRequest.category:genomicsWholeCaseSequencing.coding.system')?.fixedUri)
      .toBe('https://fhir.hl7.org.uk/CodeSystem/UKCore-GenomeSequencingCategory')
    expect(element('ServiceRequest.orderDetail')?.binding?.valueSet).toBe('https://fhir.hl7.org.uk/ValueSet/UKCore-ProcedureCode')
  })

  it.skipIf(!existsSync(UKCORE_DIR))('is what scripts/build-profile-snapshots.ts generates (run it after editing the differential)', () => {
    expect(() => execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-profile-snapshots.ts'), '--check', '--ukcore', UKCORE_DIR], { stdio: 'pipe' }))
      .not.toThrow()
  })
})
