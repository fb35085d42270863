import type { ServiceRequest, Task } from '@medplum/fhirtypes'
import { auditRecord } from '../audit/audit-record.ts'
import { OperationOutcomeError, outcomeError } from '../fhir/operation-outcome.ts'
import { duplicate, repeatRefusal, type IntakeContext, type IntakeDeps } from '../intake/accept-referral.ts'
import { nextVersionId } from '../lifecycle/apply-task-update.ts'
import { checkTransition, TERMINAL_STATUSES } from '../lifecycle/task-transitions.ts'
import type { Partnership } from '../routing/partnership.ts'
import { RequestIdAlreadyDoneError } from '../store/store-errors.ts'
import type { NewOutboxRow, OutboxRow, StoredResource } from '../store/store.ts'
import type { BarsMessage } from './message-bundle.ts'

export interface CancelledReferral {
  serviceRequest: StoredResource
  task: StoredResource
  /** how the partnership hears of it (see partnershipNotice) */
  partnership: PartnershipNotice
}

/**
 * How the partnership that owns the referral is told of a cancellation:
 * - 'queued': a delivery row in the cancellation's own transaction; the worker maps the
 *   referral as it now stands — ServiceRequest.status revoked (or entered-in-error), Task.status
 *   cancelled — through the partnership's usual mapping and endpoint. Every format carries
 *   both: fhir-bundle as the resources themselves, json-record and csv as their mapping's
 *   referral and Task status fields, so the row reads as a cancellation, not a second referral;
 * - 'pending-referral': a referral row of its own is still waiting to be sent (not yet taken
 *   by a worker). It maps the referral when it is sent, so it already carries the
 *   cancellation: a second row would deliver the revoked referral twice;
 * - 'never-delivered': the referral was never queued for it (advice-only triage, no consent);
 * - 'not-configured': the partnership is no longer configured, so there is nowhere to send it.
 */
export type PartnershipNotice = 'queued' | 'pending-referral' | 'never-delivered' | 'not-configured'

/** What a cancellation needs beyond the intake's store, clock and ids. */
export type CancelDeps = Pick<IntakeDeps, 'store' | 'clock' | 'newId' | 'requestIdStaleMs'> & {
  partnerships: ReadonlyMap<string, Pick<Partnership, 'delivery'>>
}

/** The stored referral a reason=update message is about, with its triage Task: 404 when unknown. */
export async function findReferral (deps: Pick<IntakeDeps, 'store'>, message: BarsMessage, serviceRequestId: string): Promise<{ serviceRequest: StoredResource & { resource: ServiceRequest }, task: StoredResource & { resource: Task } }> {
  const sr = await deps.store.readResource('ServiceRequest', serviceRequestId)
  const tasks = sr === undefined ? undefined : await deps.store.searchTasks({ basedOn: `ServiceRequest/${serviceRequestId}`, count: 1, offset: 0 })
  const task = tasks?.tasks[0]
  if (sr?.resource.resourceType !== 'ServiceRequest' || task?.resource.resourceType !== 'Task') {
    throw outcomeError(404, 'not-found', `No referral was received from ${message.sourceEndpoint} in a message with Bundle.id ${message.bundleId}; an update keeps the Bundle.id of the original message`, 'Bundle.id')
  }
  return { serviceRequest: { ...sr, resource: sr.resource }, task: { ...task, resource: task.resource } }
}

/** The partnership id a triage Task is owned by (build-task.ts writes "Organization/{id}"). */
export function ownerPartnershipId (task: Task): string | undefined {
  return /^Organization\/([^/]+)$/.exec(task.owner?.reference ?? '')?.[1]
}

/**
 * Whether a partnership is sent a cancellation as a delivery (see PartnershipNotice). Pure.
 * @param rows - the partnership's outbox rows for the referral (any status)
 * @param configured - whether the partnership is still configured
 * @param now - a row leased until after now is being sent: it may carry the referral as it
 *   was before the cancellation, so the cancellation needs a row of its own
 */
export function partnershipNotice (rows: ReadonlyArray<Pick<OutboxRow, 'status' | 'leaseUntil' | 'kind'>>, configured: boolean, now: Date): PartnershipNotice {
  const referralRows = rows.filter((r) => (r.kind ?? 'referral') === 'referral')
  if (referralRows.length === 0) return 'never-delivered'
  if (!configured) return 'not-configured'
  const waiting = referralRows.some((r) => r.status === 'pending' && (r.leaseUntil === undefined || Date.parse(r.leaseUntil) <= now.getTime()))
  return waiting ? 'pending-referral' : 'queued'
}

/**
 * Runs a BaRS update write (cancellation, change) under the message's X-Request-Id: 409
 * duplicate once done, 425 while in flight (as every referral). The id is marked done by the
 * write itself (store.updateTask requestId); any failure releases it so the sender may retry,
 * and a write that lost its stale claim to a finished twin is answered as a repeat.
 */
export async function underRequestId<T> (deps: Pick<CancelDeps, 'store' | 'requestIdStaleMs'>, requestId: string, now: Date, write: () => Promise<T>): Promise<T> {
  const refused = repeatRefusal(await deps.store.claimRequestId(requestId, now, deps.requestIdStaleMs))
  if (refused !== undefined) throw refused
  try {
    return await write()
  } catch (err) {
    if (err instanceof RequestIdAlreadyDoneError) {
      const claim = await deps.store.claimRequestId(requestId, now, deps.requestIdStaleMs)
      if (claim.kind === 'done') throw duplicate(claim.serviceRequestId, claim.taskId)
    }
    await deps.store.releaseRequestId(requestId)
    throw err
  }
}

/**
 * A BaRS cancellation (IG Cancellation: reason update, ServiceRequest.status revoked or
 * entered-in-error, reasonCode.text saying why). In ONE transaction (store.updateTask): the
 * triage Task becomes cancelled with the sender's reason, the ServiceRequest is stored with
 * the sender's status, the X-Request-Id is marked done, and — when the partnership was sent
 * the referral and no referral row of its own is still waiting — a delivery row tells the
 * partnership through its usual delivery (see PartnershipNotice).
 *
 * - a repeated X-Request-Id: 409 duplicate once done, 425 while in flight;
 * - a referral that is no longer current (its Task completed, rejected, cancelled …): 409
 *   REC_CONFLICT conflict, as BaRS requires a receiver to refuse cancelling it;
 * - a Task or ServiceRequest that moved between the read and the write: 409 conflict, the
 *   sender may retry.
 */
export async function cancelReferral (deps: CancelDeps, message: BarsMessage, serviceRequestId: string, ctx: IntakeContext & { requestId: string }): Promise<CancelledReferral> {
  const now = deps.clock.now()
  return underRequestId(deps, ctx.requestId, now, async () => {
    const { serviceRequest, task } = await findReferral(deps, message, serviceRequestId)
    const current = task.resource
    if (TERMINAL_STATUSES.has(current.status)) {
      throw outcomeError(409, 'conflict', `The referral is no longer active (its Task is ${current.status}); only an active referral can be cancelled`, `Bundle.entry[${message.focusIndex}].resource.status`)
    }
    const reasonText = message.serviceRequest.reasonCode?.find((r) => typeof r.text === 'string' && r.text.trim() !== '')?.text
    const at = now.toISOString()
    const versionId = nextVersionId(current.meta?.versionId)
    const cancelled: Task = {
      ...current,
      status: 'cancelled',
      statusReason: { text: reasonText ?? `Cancelled by the referrer (ServiceRequest.status ${message.serviceRequest.status})` },
      lastModified: at,
      meta: { ...current.meta, versionId, lastUpdated: at }
    }
    const refusedMove = checkTransition(current, cancelled)
    if (refusedMove.length > 0) throw new OperationOutcomeError(409, refusedMove.map((i) => ({ ...i, code: 'conflict' })))
    const stored: StoredResource = { resourceType: 'Task', id: task.id, versionId, lastUpdated: at, resource: cancelled }

    const srVersionId = nextVersionId(serviceRequest.versionId)
    const revoked: ServiceRequest = { ...serviceRequest.resource, status: message.serviceRequest.status, meta: { ...serviceRequest.resource.meta, versionId: srVersionId, lastUpdated: at } }
    const storedSr: StoredResource = { resourceType: 'ServiceRequest', id: serviceRequestId, versionId: srVersionId, lastUpdated: at, resource: revoked }

    const owner = ownerPartnershipId(current)
    // read just before the write. Known gap: a worker that claims a waiting row AND reads the
    // referral in the few ms between this read and the commit sends it still active, and no
    // cancellation row follows (the partnership still sees the cancelled Task in its feed);
    // closing it needs the store to supersede waiting rows inside updateTask
    const rows = owner === undefined ? [] : await deps.store.listDeliveries({ partnershipId: owner, serviceRequestId, limit: 100 })
    const notice = partnershipNotice(rows, owner !== undefined && deps.partnerships.has(owner), now)
    const outbox: NewOutboxRow | undefined = notice === 'queued' && owner !== undefined
      ? { id: deps.newId(), partnershipId: owner, serviceRequestId, taskId: task.id, createdAt: at }
      : undefined

    const result = await deps.store.updateTask({
      task: stored,
      expectedVersionId: task.versionId,
      status: 'cancelled',
      resources: [{ resource: storedSr, expectedVersionId: serviceRequest.versionId }],
      requestId: { id: ctx.requestId, serviceRequestId },
      ...(outbox === undefined ? {} : { outbox }),
      audit: [
        auditRecord(deps.newId(), now, { action: 'U', subtype: 'cancel', agent: ctx.agent, entity: `Task/${task.id}`, correlationId: ctx.correlationId }),
        auditRecord(deps.newId(), now, { action: 'U', subtype: 'cancel', agent: ctx.agent, entity: `ServiceRequest/${serviceRequestId}`, correlationId: ctx.correlationId })
      ]
    })
    if (result.kind !== 'updated') {
      throw outcomeError(409, 'conflict', 'The referral changed while the cancellation was applied; send it again', `Bundle.entry[${message.focusIndex}].resource`)
    }
    return { serviceRequest: storedSr, task: stored, partnership: notice }
  })
}
