import { describe, expect, it, onTestFinished } from 'vitest'
import type { Consent, Observation, Patient, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { loadReferral } from '../../../src/delivery/load-referral.ts'
import { inlineStoredResources } from '../../../src/mapping/inline-resources.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import type { StoredResource } from '../../../src/store/store.ts'
import { nclServiceRequest, triageTask } from './referral-fixture.ts'

const AT = '2026-11-20T10:20:00.000Z'
const stamp = <T extends Resource>(resource: T): T => ({ ...resource, meta: { ...resource.meta, versionId: '1', lastUpdated: AT } })

/** The NCL referral as a transaction stores it: the ServiceRequest and its resources separately. */
function transactionResources (): { sr: ServiceRequest, others: Resource[] } {
  const sr = nclServiceRequest('sr-1')
  const [patient, observation, consent] = (sr.contained ?? []) as [Patient, Observation, Consent]
  delete sr.contained
  sr.subject = { reference: 'Patient/p-1' }
  sr.supportingInfo = [{ reference: 'Observation/o-1' }, { reference: 'Consent/c-1' }]
  return {
    sr: stamp(sr),
    others: [
      stamp({ ...patient, id: 'p-1' }),
      stamp({ ...observation, id: 'o-1', subject: { reference: 'Patient/p-1' } }),
      stamp({ ...consent, id: 'c-1', patient: { reference: 'Patient/p-1' } }),
      stamp({ resourceType: 'Observation', id: 'unrelated', status: 'final', code: {} } as Observation)
    ]
  }
}

describe('inlineStoredResources', () => {
  it('puts referenced resources into contained under their ids, references rewritten, meta cleaned', () => {
    const { sr, others } = transactionResources()
    const before = structuredClone({ sr, others })
    const inlined = inlineStoredResources(sr, others)
    expect(inlined.subject).toEqual({ reference: '#p-1' })
    expect(inlined.contained?.map((r) => `${r.resourceType}/${r.id ?? ''}`)).toEqual(['Patient/p-1', 'Observation/o-1', 'Consent/c-1'])
    expect(inlined.contained?.[1]).toMatchObject({ subject: { reference: '#p-1' } })
    expect(inlined.contained?.[0]?.meta).toBeUndefined()
    expect({ sr, others }).toStrictEqual(before)
  })

  it('leaves a contained-style referral, and references to resources it was not given, alone', () => {
    const contained = nclServiceRequest('sr-1')
    expect(inlineStoredResources(contained, [])).toBe(contained)
    const { sr } = transactionResources()
    expect(inlineStoredResources(sr, []).subject).toEqual({ reference: 'Patient/p-1' })
  })

  it('gives exactly what the delivery worker reads from the store (src/delivery/load-referral.ts)', async () => {
    const { sr, others } = transactionResources()
    const store = await openSqliteStore({ file: ':memory:' })
    onTestFinished(async () => { await store.close() })
    const task = triageTask('sr-1', 'task-1')
    const row = (r: Resource): StoredResource => ({ resourceType: r.resourceType, id: r.id ?? '', versionId: '1', lastUpdated: AT, resource: r })
    await store.saveReferral({
      resources: [sr, ...others, task].map(row),
      task: { id: 'task-1', basedOn: 'ServiceRequest/sr-1', owner: 'north-central-london', status: 'requested', lastUpdated: AT },
      serviceRequestId: 'sr-1',
      audit: []
    })
    const loaded = await loadReferral(store, 'sr-1', 'task-1')
    if (!loaded.ok) throw new Error(loaded.reason)
    expect(inlineStoredResources(sr, others)).toStrictEqual(loaded.serviceRequest)
  })
})
