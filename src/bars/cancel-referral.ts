import type { Task } from '@medplum/fhirtypes'
import { auditRecord } from '../audit/audit-record.ts'
import { issue, OperationOutcomeError, outcomeError } from '../fhir/operation-outcome.ts'
import { WORKWELL_BASE } from '../fhir/systems.ts'
import { repeatRefusal, type IntakeContext, type IntakeDeps } from '../intake/accept-referral.ts'
import { nextVersionId } from '../lifecycle/apply-task-update.ts'
import { checkTransition, TERMINAL_STATUSES } from '../lifecycle/task-transitions.ts'
import type { StoredResource } from '../store/store.ts'
import type { BarsMessage } from './message-bundle.ts'

/** Tags the Task version a BaRS cancellation wrote with its X-Request-Id, so a repeat is known as one. */
export const CANCELLED_BY_REQUEST = `${WORKWELL_BASE}/CodeSystem/bars-request-id`

export interface CancelledReferral {
  serviceRequest: StoredResource
  task: StoredResource
}

/** The stored referral a reason=update message is about, with its triage Task: 404 when unknown. */
export async function findReferral (deps: Pick<IntakeDeps, 'store'>, message: BarsMessage, serviceRequestId: string): Promise<{ serviceRequest: StoredResource, task: StoredResource & { resource: Task } }> {
  const sr = await deps.store.readResource('ServiceRequest', serviceRequestId)
  const tasks = sr === undefined ? undefined : await deps.store.searchTasks({ basedOn: `ServiceRequest/${serviceRequestId}`, count: 1, offset: 0 })
  const task = tasks?.tasks[0]
  if (sr === undefined || task?.resource.resourceType !== 'Task') {
    throw outcomeError(404, 'not-found', `No referral was received from ${message.sourceEndpoint} in a message with Bundle.id ${message.bundleId}; an update keeps the Bundle.id of the original message`, 'Bundle.id')
  }
  return { serviceRequest: sr, task: { ...task, resource: task.resource } }
}

/**
 * A BaRS cancellation (IG Cancellation: reason update, ServiceRequest.status revoked or
 * entered-in-error, reasonCode.text saying why): the referral's triage Task becomes
 * cancelled, its statusReason the sender's reason, through the same versioned Task write as a
 * partnership's update (store.updateTask: optimistic, audited in the same transaction).
 *
 * - a repeated X-Request-Id: 409 duplicate once done, 425 while in flight (as every referral);
 * - a referral that is no longer current (its Task completed, rejected, cancelled …): 409
 *   REC_CONFLICT conflict, as BaRS requires a receiver to refuse cancelling it;
 * - a Task that moved between the read and the write: 409 conflict, the sender may retry.
 */
export async function cancelReferral (deps: IntakeDeps, message: BarsMessage, serviceRequestId: string, ctx: IntakeContext & { requestId: string }): Promise<CancelledReferral> {
  const now = deps.clock.now()
  const refused = repeatRefusal(await deps.store.claimRequestId(ctx.requestId, now, deps.requestIdStaleMs))
  if (refused !== undefined) throw refused
  try {
    const { serviceRequest, task } = await findReferral(deps, message, serviceRequestId)
    const current = task.resource
    if (current.meta?.tag?.some((t) => t.system === CANCELLED_BY_REQUEST && t.code === ctx.requestId) === true) {
      throw new OperationOutcomeError(409, [issue('error', 'duplicate', `This X-Request-Id was already processed: Task/${task.id} is cancelled`, 'X-Request-Id')])
    }
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
      meta: { ...current.meta, versionId, lastUpdated: at, tag: [...(current.meta?.tag ?? []), { system: CANCELLED_BY_REQUEST, code: ctx.requestId }] }
    }
    const refusedMove = checkTransition(current, cancelled)
    if (refusedMove.length > 0) throw new OperationOutcomeError(409, refusedMove.map((i) => ({ ...i, code: 'conflict' })))
    const stored: StoredResource = { resourceType: 'Task', id: task.id, versionId, lastUpdated: at, resource: cancelled }
    const result = await deps.store.updateTask({
      task: stored,
      expectedVersionId: task.versionId,
      status: 'cancelled',
      audit: [auditRecord(deps.newId(), now, { action: 'U', subtype: 'cancel', agent: ctx.agent, entity: `Task/${task.id}`, correlationId: ctx.correlationId })]
    })
    if (result.kind !== 'updated') {
      throw outcomeError(409, 'conflict', `Task/${task.id} changed while the cancellation was applied; send it again`, `Bundle.entry[${message.focusIndex}].resource`)
    }
    return { serviceRequest, task: stored }
  } finally {
    // Store.saveReferral is the only write that marks an X-Request-Id done; a cancellation is a
    // Task write, so its claim is released and a repeat is recognised by the Task's tag instead.
    await deps.store.releaseRequestId(ctx.requestId)
  }
}
