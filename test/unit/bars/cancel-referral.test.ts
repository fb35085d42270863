import type { Task } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { MESSAGE_DEFINITION_URLS } from '../../../src/bars/bars-codes.ts'
import { cancelReferral, partnershipNotice, type CancelDeps } from '../../../src/bars/cancel-referral.ts'
import { readMessage } from '../../../src/bars/message-bundle.ts'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'
import type { DeliveryFormat, Partnership } from '../../../src/routing/partnership.ts'
import { RequestIdAlreadyDoneError } from '../../../src/store/store-errors.ts'
import type { OutboxRow, RequestIdClaim, Store, StoredResource, TaskVersionResult, TaskVersionWrite } from '../../../src/store/store.ts'

const OWN = 'a:own|1'
const message = readMessage({
  resourceType: 'Bundle',
  id: 'b-1',
  type: 'message',
  entry: [
    {
      resource: {
        resourceType: 'MessageHeader',
        eventCoding: { system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'servicerequest-request' },
        reason: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars', code: 'update' }] },
        destination: [{ endpoint: OWN }],
        source: { endpoint: 'a:gp|2' },
        focus: [{ reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' }],
        definition: MESSAGE_DEFINITION_URLS.cancellation
      }
    },
    { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: { resourceType: 'ServiceRequest', status: 'revoked', intent: 'order', subject: {}, reasonCode: [{ text: 'moved away' }] } }
  ]
}, OWN)

const stored = (status: Task['status']): StoredResource => ({
  resourceType: 'Task',
  id: 't-1',
  versionId: '3',
  lastUpdated: '2026-01-01T00:00:00.000Z',
  resource: { resourceType: 'Task', id: 't-1', status, intent: 'order', meta: { versionId: '3' }, owner: { reference: 'Organization/p-1' } }
})

interface FakeOptions {
  claims?: RequestIdClaim[]
  result?: TaskVersionResult | Error
  /** outbox rows the store holds for the referral: true is one delivered referral row */
  delivered?: boolean | Array<Partial<OutboxRow>>
}

/** A store with one referral whose Task is in `status`; records what the cancellation did. */
function fakeStore (status: Task['status'] | undefined, o: FakeOptions = {}): { store: Store, writes: TaskVersionWrite[], released: string[] } {
  const writes: TaskVersionWrite[] = []
  const released: string[] = []
  const claims = [...(o.claims ?? [{ kind: 'claimed' }])]
  const store = {
    claimRequestId: async () => claims.shift() ?? { kind: 'claimed' },
    releaseRequestId: async (id: string) => { released.push(id) },
    readResource: async (type: string) => (status === undefined ? undefined : type === 'ServiceRequest' ? { resourceType: 'ServiceRequest', id: 'sr-1', versionId: '1', lastUpdated: '', resource: { resourceType: 'ServiceRequest', id: 'sr-1', status: 'active', intent: 'order', subject: {}, meta: { versionId: '1' } } } : undefined),
    searchTasks: async () => ({ total: status === undefined ? 0 : 1, tasks: status === undefined ? [] : [stored(status)] }),
    listDeliveries: async (f: { partnershipId?: string, serviceRequestId?: string }) => {
      if (f.partnershipId !== 'p-1' || f.serviceRequestId !== 'sr-1' || o.delivered === undefined || o.delivered === false) return []
      return o.delivered === true ? [{ id: 'out-0', status: 'delivered' }] : o.delivered
    },
    updateTask: async (w: TaskVersionWrite) => {
      writes.push(w)
      if (o.result instanceof Error) throw o.result
      return o.result ?? { kind: 'updated' }
    }
  } as unknown as Store
  return { store, writes, released }
}

const deps = (store: Store, format: DeliveryFormat = 'fhir-bundle', partnershipIds = ['p-1']): CancelDeps => {
  let n = 0
  return {
    store,
    clock: { now: () => new Date('2026-02-01T10:00:00.000Z') },
    newId: () => `id-${++n}`,
    requestIdStaleMs: 60_000,
    partnerships: new Map(partnershipIds.map((id) => [id, { delivery: { format } as Partnership['delivery'] }]))
  }
}
const ctx = { requestId: 'r-1', correlationId: 'c-1', agent: 'ods:A1001' }

async function status (p: Promise<unknown>): Promise<number> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError)
    return (err as OperationOutcomeError).status
  }
  return 200
}

describe('cancelReferral', () => {
  it('in one write: the Task cancelled with the sender\'s reason, the ServiceRequest revoked, the request id done, the partnership told', async () => {
    const { store, writes, released } = fakeStore('accepted', { delivered: true })
    const done = await cancelReferral(deps(store), message, 'sr-1', ctx)
    expect(done.task.resource).toMatchObject({ status: 'cancelled', statusReason: { text: 'moved away' }, meta: { versionId: '4', lastUpdated: '2026-02-01T10:00:00.000Z' } })
    expect(done.task.resource.meta?.tag).toBeUndefined()
    expect(done.serviceRequest).toMatchObject({ versionId: '2', resource: { status: 'revoked', meta: { versionId: '2' } } })
    expect(done.partnership).toBe('queued')
    expect(writes).toHaveLength(1)
    expect(writes[0]).toMatchObject({
      expectedVersionId: '3',
      status: 'cancelled',
      resources: [{ expectedVersionId: '1', resource: { resourceType: 'ServiceRequest', id: 'sr-1', versionId: '2' } }],
      requestId: { id: 'r-1', serviceRequestId: 'sr-1' },
      outbox: { partnershipId: 'p-1', serviceRequestId: 'sr-1', taskId: 't-1', createdAt: '2026-02-01T10:00:00.000Z' },
      audit: [{ action: 'U', subtype: 'cancel', agent: 'ods:A1001', entity: 'Task/t-1', correlationId: 'c-1' }, { entity: 'ServiceRequest/sr-1' }]
    })
    expect(writes[0]?.outbox?.kind).toBeUndefined()
    // the claim is completed by the write, not released
    expect(released).toEqual([])
  })

  it('queues the cancellation for json-record and csv partnerships too: their mappings carry the status', async () => {
    for (const format of ['json-record', 'csv'] as const) {
      const { store, writes } = fakeStore('accepted', { delivered: true })
      expect((await cancelReferral(deps(store, format), message, 'sr-1', ctx)).partnership).toBe('queued')
      expect(writes[0]?.outbox).toMatchObject({ partnershipId: 'p-1', serviceRequestId: 'sr-1', taskId: 't-1' })
    }
  })

  it('queues no delivery when the partnership was never sent the referral, or is no longer configured', async () => {
    const never = fakeStore('accepted', { delivered: false })
    expect((await cancelReferral(deps(never.store), message, 'sr-1', ctx)).partnership).toBe('never-delivered')
    expect(never.writes[0]?.outbox).toBeUndefined()
    const gone = fakeStore('accepted', { delivered: true })
    expect((await cancelReferral(deps(gone.store, 'csv', []), message, 'sr-1', ctx)).partnership).toBe('not-configured')
    expect(gone.writes[0]?.outbox).toBeUndefined()
    expect(gone.writes[0]?.resources).toHaveLength(1)
  })

  it('adds no row while the referral\'s own row still waits (it will carry the cancellation), but does while one is being sent', async () => {
    const waiting = fakeStore('requested', { delivered: [{ id: 'out-0', status: 'pending', leaseUntil: '2026-02-01T09:59:00.000Z' }] })
    expect((await cancelReferral(deps(waiting.store, 'json-record'), message, 'sr-1', ctx)).partnership).toBe('pending-referral')
    expect(waiting.writes[0]?.outbox).toBeUndefined()
    expect(waiting.writes[0]?.status).toBe('cancelled')
    const sending = fakeStore('requested', { delivered: [{ id: 'out-0', status: 'pending', leaseUntil: '2026-02-01T10:00:30.000Z' }] })
    expect((await cancelReferral(deps(sending.store, 'json-record'), message, 'sr-1', ctx)).partnership).toBe('queued')
    expect(sending.writes[0]?.outbox).toMatchObject({ partnershipId: 'p-1' })
  })

  it('answers 409 when the Task or ServiceRequest moved meanwhile, 409 when it is final, 404 when unknown, releasing the claim each time', async () => {
    const cases = [
      ['accepted', { kind: 'version-conflict', currentVersionId: '4' }, 409],
      ['accepted', { kind: 'resource-conflict', resourceType: 'ServiceRequest', id: 'sr-1', currentVersionId: '2' }, 409],
      ['completed', { kind: 'updated' }, 409],
      [undefined, { kind: 'updated' }, 404]
    ] as const
    for (const [s, result, want] of cases) {
      const { store, released } = fakeStore(s, { result })
      expect(await status(cancelReferral(deps(store), message, 'sr-1', ctx))).toBe(want)
      expect(released).toEqual(['r-1'])
    }
  })

  it('answers a repeat in flight 425 and a done one 409 duplicate, leaving the claim alone', async () => {
    for (const [claim, want] of [[{ kind: 'in-flight' }, 425], [{ kind: 'done', serviceRequestId: 'sr-1', taskId: 't-1' }, 409]] as const) {
      const { store, released, writes } = fakeStore('accepted', { claims: [claim] })
      expect(await status(cancelReferral(deps(store), message, 'sr-1', ctx))).toBe(want)
      expect(released).toEqual([])
      expect(writes).toEqual([])
    }
  })

  it('answers 409 duplicate when another request finished the same id first (a stale claim taken over)', async () => {
    const { store } = fakeStore('accepted', { claims: [{ kind: 'claimed' }, { kind: 'done', serviceRequestId: 'sr-1', taskId: 't-1' }], result: new RequestIdAlreadyDoneError('r-1') })
    await expect(cancelReferral(deps(store), message, 'sr-1', ctx)).rejects.toMatchObject({ status: 409, issues: [{ code: 'duplicate' }] })
  })
})

describe('partnershipNotice', () => {
  const now = new Date('2026-02-01T10:00:00.000Z')
  it('queues a row when the referral was sent and no referral row of its own still waits', () => {
    expect(partnershipNotice([{ status: 'delivered' }], true, now)).toBe('queued')
    expect(partnershipNotice([{ status: 'dead-letter' }], true, now)).toBe('queued')
    expect(partnershipNotice([{ status: 'delivered' }, { status: 'pending', leaseUntil: '2026-02-01T10:01:00.000Z' }], true, now)).toBe('queued')
    expect(partnershipNotice([{ status: 'delivered' }, { status: 'pending' }], true, now)).toBe('pending-referral')
    expect(partnershipNotice([{ status: 'pending', leaseUntil: '2026-02-01T10:00:00.000Z' }], true, now)).toBe('pending-referral')
    expect(partnershipNotice([], true, now)).toBe('never-delivered')
    // a BaRS response row is no delivery of the referral to the partnership
    expect(partnershipNotice([{ status: 'pending', kind: 'bars-response' }], true, now)).toBe('never-delivered')
    expect(partnershipNotice([{ status: 'delivered' }], false, now)).toBe('not-configured')
  })
})
