import type { Task } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { MESSAGE_DEFINITION_URLS } from '../../../src/bars/bars-codes.ts'
import { CANCELLED_BY_REQUEST, cancelReferral } from '../../../src/bars/cancel-referral.ts'
import { readMessage } from '../../../src/bars/message-bundle.ts'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'
import type { IntakeDeps } from '../../../src/intake/accept-referral.ts'
import type { RequestIdClaim, Store, StoredResource, TaskVersionResult, TaskVersionWrite } from '../../../src/store/store.ts'

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
  resource: { resourceType: 'Task', id: 't-1', status, intent: 'order', meta: { versionId: '3' } }
})

/** A store with one referral whose Task is in `status`; records what the cancellation did. */
function fakeStore (status: Task['status'] | undefined, claim: RequestIdClaim = { kind: 'claimed' }, result: TaskVersionResult = { kind: 'updated' }): { store: Store, writes: TaskVersionWrite[], released: string[] } {
  const writes: TaskVersionWrite[] = []
  const released: string[] = []
  const store = {
    claimRequestId: async () => claim,
    releaseRequestId: async (id: string) => { released.push(id) },
    readResource: async (type: string) => (status === undefined ? undefined : type === 'ServiceRequest' ? { resourceType: 'ServiceRequest', id: 'sr-1', versionId: '1', lastUpdated: '', resource: { resourceType: 'ServiceRequest' } } : undefined),
    searchTasks: async () => ({ total: status === undefined ? 0 : 1, tasks: status === undefined ? [] : [stored(status)] }),
    updateTask: async (w: TaskVersionWrite) => { writes.push(w); return result }
  } as unknown as Store
  return { store, writes, released }
}

const deps = (store: Store): IntakeDeps => ({ store, clock: { now: () => new Date('2026-02-01T10:00:00.000Z') }, newId: () => 'id-1', requestIdStaleMs: 60_000 } as unknown as IntakeDeps)
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
  it('writes the next Task version, cancelled with the sender\'s reason and tagged with the X-Request-Id, from the version it read', async () => {
    const { store, writes, released } = fakeStore('accepted')
    const done = await cancelReferral(deps(store), message, 'sr-1', ctx)
    expect(done.task.resource).toMatchObject({ status: 'cancelled', statusReason: { text: 'moved away' }, meta: { versionId: '4', lastUpdated: '2026-02-01T10:00:00.000Z', tag: [{ system: CANCELLED_BY_REQUEST, code: 'r-1' }] } })
    expect(writes[0]).toMatchObject({ expectedVersionId: '3', status: 'cancelled', audit: [{ action: 'U', subtype: 'cancel', agent: 'ods:A1001', entity: 'Task/t-1', correlationId: 'c-1' }] })
    expect(released).toEqual(['r-1'])
  })

  it('answers 409 when the Task moved meanwhile, 409 when it is final, 404 when unknown, releasing the claim each time', async () => {
    for (const [s, result, want] of [['accepted', { kind: 'version-conflict', currentVersionId: '4' }, 409], ['completed', { kind: 'updated' }, 409], [undefined, { kind: 'updated' }, 404]] as const) {
      const { store, released } = fakeStore(s, { kind: 'claimed' }, result)
      expect(await status(cancelReferral(deps(store), message, 'sr-1', ctx))).toBe(want)
      expect(released).toEqual(['r-1'])
    }
  })

  it('answers a repeat in flight 425 and leaves its claim alone', async () => {
    const { store, released, writes } = fakeStore('accepted', { kind: 'in-flight' })
    expect(await status(cancelReferral(deps(store), message, 'sr-1', ctx))).toBe(425)
    expect(released).toEqual([])
    expect(writes).toEqual([])
  })
})
