import { describe, expect, it, onTestFinished } from 'vitest'
import type { Consent, Observation, Patient, Resource } from '@medplum/fhirtypes'
import { loadReferral } from '../../../src/delivery/load-referral.ts'
import { mapReferral } from '../../../src/mapping/map-referral.ts'
import type { Mapping } from '../../../src/mapping/mapping.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import type { Store, StoredResource } from '../../../src/store/store.ts'
import { nclReferral, nclServiceRequest, triageTask } from '../mapping/referral-fixture.ts'

const AT = '2026-11-20T10:20:00.000Z'
const stored = (resource: Resource & { id: string }): StoredResource => ({
  resourceType: resource.resourceType,
  id: resource.id,
  versionId: '1',
  lastUpdated: AT,
  resource: { ...resource, meta: { ...resource.meta, versionId: '1', lastUpdated: AT } } as Resource
})

/** An empty SQLite store in memory, closed when the test ends. */
async function memoryStore (): Promise<Store> {
  const store = await openSqliteStore({ file: ':memory:' })
  onTestFinished(async () => { await store.close() })
  return store
}

/** The NCL referral as a transaction stores it: Patient, Observation and Consent on their own. */
async function transactionStore (): Promise<Store> {
  const store = await memoryStore()
  const sr = nclServiceRequest('sr-1')
  const [patient, observation, consent] = (sr.contained ?? []) as [Patient, Observation, Consent]
  delete sr.contained
  sr.subject = { reference: 'Patient/p-1' }
  sr.supportingInfo = [{ reference: 'Observation/o-1' }, { reference: 'Consent/c-1' }]
  await store.saveReferral({
    resources: [
      stored(sr as typeof sr & { id: string }),
      stored({ ...patient, id: 'p-1' }),
      stored({ ...observation, id: 'o-1', subject: { reference: 'Patient/p-1' } }),
      stored({ ...consent, id: 'c-1', patient: { reference: 'Patient/p-1' } }),
      stored({ ...triageTask('sr-1', 'task-1'), for: { reference: 'Patient/p-1' } } as Resource & { id: string })
    ],
    task: { id: 'task-1', basedOn: 'ServiceRequest/sr-1', owner: 'frimley', status: 'requested', lastUpdated: AT },
    serviceRequestId: 'sr-1',
    audit: []
  })
  return store
}

describe('loadReferral', () => {
  it('puts separately stored resources back into contained, references rewritten, meta cleaned', async () => {
    const loaded = await loadReferral(await transactionStore(), 'sr-1', 'task-1')
    if (!loaded.ok) throw new Error(loaded.reason)
    const sr = loaded.serviceRequest
    expect(sr.subject).toEqual({ reference: '#p-1' })
    expect(sr.supportingInfo).toEqual([{ reference: '#o-1' }, { reference: '#c-1' }])
    expect(sr.contained?.map((r) => `${r.resourceType}/${r.id ?? ''}`)).toEqual(['Patient/p-1', 'Observation/o-1', 'Consent/c-1'])
    expect(sr.contained?.[1]).toMatchObject({ subject: { reference: '#p-1' } })
    // contained resources may not carry versionId/lastUpdated (dom-4); profiles stay
    expect(sr.contained?.[0]?.meta).toBeUndefined()
    expect(sr.contained?.[1]?.meta).toStrictEqual({ profile: ['https://fhir.workwell.example/StructureDefinition/WorkWell-EmploymentStatus'] })
  })

  it('lets one mapping read a transaction referral exactly as a contained one', async () => {
    const mapping: Mapping = {
      partnershipId: 'frimley',
      format: 'json-record',
      version: '1',
      fields: [
        { name: 'nhsNumber', path: "%patient.identifier.where(system='https://fhir.nhs.uk/Id/nhs-number').value", required: true },
        { name: 'employment', path: 'contained.ofType(Observation).value.ofType(CodeableConcept).coding.code' }
      ]
    }
    const loaded = await loadReferral(await transactionStore(), 'sr-1', 'task-1')
    if (!loaded.ok) throw new Error(loaded.reason)
    expect(mapReferral(mapping, loaded)).toStrictEqual(mapReferral(mapping, nclReferral()))
  })

  it('leaves a contained referral as it is', async () => {
    const store = await memoryStore()
    const { serviceRequest, task } = nclReferral()
    await store.saveReferral({
      resources: [stored(serviceRequest as typeof serviceRequest & { id: string }), stored(task as typeof task & { id: string })],
      task: { id: 'task-1', basedOn: 'ServiceRequest/sr-1', owner: 'frimley', status: 'requested', lastUpdated: AT },
      serviceRequestId: 'sr-1',
      audit: []
    })
    const loaded = await loadReferral(store, 'sr-1', 'task-1')
    expect(loaded.ok && loaded.serviceRequest.contained).toStrictEqual(serviceRequest.contained)
  })

  it('says which resource is missing', async () => {
    const store = await transactionStore()
    expect(await loadReferral(store, 'nope', 'task-1')).toStrictEqual({ ok: false, reason: 'ServiceRequest/nope not found' })
    expect(await loadReferral(store, 'sr-1', 'nope')).toStrictEqual({ ok: false, reason: 'Task/nope not found' })
  })
})
