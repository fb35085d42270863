import { REFERRAL_REFERENCE_SYSTEM, withReference } from '../reference/referral-reference.ts'
import type { OperationOutcomeIssue, Resource, ServiceRequest, Task } from '@medplum/fhirtypes'
import { auditRecord } from '../audit/audit-record.ts'
import { issue, OperationOutcomeError, outcomeError } from '../fhir/operation-outcome.ts'
import { SYSTEMS } from '../fhir/systems.ts'
import { referralScope, type IntakeContext, type IntakeDeps, type PreparedReferral } from '../intake/accept-referral.ts'
import { decideReferral } from '../referral/decide-referral.ts'
import { nextVersionId } from '../lifecycle/apply-task-update.ts'
import { TERMINAL_STATUSES } from '../lifecycle/task-transitions.ts'
import type { NewOutboxRow, StoredResource } from '../store/store.ts'
import { findReferral, ownerPartnershipId, partnershipNotice, underRequestId } from './cancel-referral.ts'
import type { BarsMessage } from './message-bundle.ts'

/** Task statuses in which the referral is still only the gateway's: the partnership has not taken it on. */
const CHANGEABLE: ReadonlySet<Task['status']> = new Set<Task['status']>(['requested', 'on-hold'])

export interface ChangedReferral {
  serviceRequest: StoredResource
  task: StoredResource
  /**
   * a delivery row was queued for the change; false also when the partnership's referral row
   * still waits, which sends the referral as changed
   */
  queuedForDelivery: boolean
}

/**
 * The Task after a re-triage: the new triage's status, businessStatus, priority, outputs and
 * rules version, on the stored Task's id and versions. Notes only grow (the new triage summary
 * is added after the old ones); outputs the partnership added (not the triage's) are kept. Pure.
 */
export function retriagedTask (current: Task, fresh: Task, versionId: string, at: string): Task {
  const partnershipOutputs = (current.output ?? []).filter((o) => !(o.type?.coding ?? []).some((c) => c.system === SYSTEMS.triageOutput))
  const output = [...(fresh.output ?? []), ...partnershipOutputs]
  const task: Task = {
    ...fresh,
    id: current.id,
    authoredOn: current.authoredOn ?? fresh.authoredOn,
    note: [...(current.note ?? []), ...(fresh.note ?? [])],
    // links to earlier referrals of the same person were made at intake: a change keeps them
    ...(current.input === undefined ? {} : { input: current.input }),
    lastModified: at,
    meta: { ...current.meta, versionId, lastUpdated: at }
  }
  if (output.length > 0) task.output = output
  else delete task.output
  return task
}

/**
 * BaRS's data-conflict check on a change (NHS BaRS implementation guide,
 * Transactional-integrity). Every resource of a BaRS message MUST carry meta.lastUpdated, and
 * a sender moves it forward only on the resources it changed, so the latest of them is when the
 * sender made this change. When the referral was changed here after that — its ServiceRequest
 * or its Task stored later (an earlier update applied after this change was made, the
 * partnership touching the Task) — the sender changed a referral it had not seen as it now
 * is: 409 REC_CONFLICT `conflict`, and it should read the referral and send its change again.
 * BaRS answers 409 here, not 412: there is no If-Match precondition in a BaRS message.
 * The two times come from different clocks (sender and gateway), as BaRS defines the check.
 * Pure.
 * @param message - the update message (entry 0 is the MessageHeader)
 * @param local - the stored ServiceRequest's and Task's lastUpdated
 * @returns why the change is refused (400 when a resource lacks meta.lastUpdated), or undefined
 */
export function dataConflict (message: Pick<BarsMessage, 'bundle' | 'focusIndex'>, local: ReadonlyArray<{ lastUpdated: string }>): OperationOutcomeError | undefined {
  const missing: OperationOutcomeIssue[] = []
  let senderLatest = -Infinity
  for (const [i, entry] of (message.bundle.entry ?? []).entries()) {
    if (i === 0) continue
    const at = entry.resource?.meta?.lastUpdated
    const ms = at === undefined ? NaN : Date.parse(at)
    if (Number.isNaN(ms)) {
      missing.push(issue('error', at === undefined ? 'required' : 'value', 'Every resource of a BaRS update must carry meta.lastUpdated (an instant): it says when the sender changed it, and is how a change is checked against later changes here', `Bundle.entry[${i}].resource.meta.lastUpdated`))
    } else if (ms > senderLatest) {
      senderLatest = ms
    }
  }
  if (missing.length > 0) return new OperationOutcomeError(400, missing)
  const localLatest = Math.max(...local.map((l) => Date.parse(l.lastUpdated)).filter((ms) => !Number.isNaN(ms)))
  if (localLatest > senderLatest) {
    return outcomeError(409, 'conflict', `The referral was changed here at ${new Date(localLatest).toISOString()}, after this change was made (its latest meta.lastUpdated is ${new Date(senderLatest).toISOString()}); read the referral again and send the change on top of it`, `Bundle.entry[${message.focusIndex}].resource.meta.lastUpdated`)
  }
  return undefined
}

/**
 * A BaRS update that changes an active referral (reason update, ServiceRequest.status active):
 * the message carries the whole referral again, as a new one does. It is re-triaged with the
 * same rules as at intake, and in ONE transaction (store.updateTask) the ServiceRequest gets
 * its next version (only if still at the version read), the message's Patient and supporting
 * resources are stored, the Task gets its next version, the X-Request-Id is marked done, and
 * a delivery row sends the changed referral to the partnership when it is one to deliver (and
 * no referral row of its own still waits to be sent, which will carry the change).
 *
 * Refused with 409 conflict when the referral is no longer active, or its partnership has
 * already taken it on (the Task moved past requested / on-hold: a change would go unseen;
 * cancel and send a new referral), or it changed here after the sender made this change
 * (dataConflict; 400 when the message lacks meta.lastUpdated); 422 business-rule when the
 * change would route it to another partnership (the Task's owner never changes).
 */
export async function changeReferral (deps: IntakeDeps, message: BarsMessage, prepared: PreparedReferral, ctx: IntakeContext & { requestId: string }): Promise<ChangedReferral> {
  const now = deps.clock.now()
  const serviceRequestId = prepared.serviceRequestId
  return underRequestId(deps, ctx.requestId, now, async () => {
    const { serviceRequest, task } = await findReferral(deps, message, serviceRequestId)
    const current = task.resource
    const statusPath = `Bundle.entry[${message.focusIndex}].resource.status`
    if (TERMINAL_STATUSES.has(current.status)) {
      throw outcomeError(409, 'conflict', `The referral is no longer active (its Task is ${current.status}); it cannot be changed`, statusPath)
    }
    if (!CHANGEABLE.has(current.status)) {
      throw outcomeError(409, 'conflict', `The partnership has already taken the referral on (its Task is ${current.status}); cancel it (ServiceRequest.status revoked) and send a new referral`, statusPath)
    }
    const conflict = dataConflict(message, [serviceRequest, task])
    if (conflict !== undefined) throw conflict
    const { pkg } = prepared
    // the reference given at intake stays the referral's through every change
    const reference = current.identifier?.find((i) => i.system === REFERRAL_REFERENCE_SYSTEM)?.value
    // re-decided exactly as at intake (referral/decide-referral.ts), on the stored Task's id
    const { route, task: fresh, deliver: eligible } = decideReferral(deps, pkg, {
      taskId: task.id, serviceRequestId, patient: prepared.patient, ...(reference === undefined ? {} : { reference })
    }, now)
    const owner = ownerPartnershipId(current)
    if (route.partnership.id !== owner) {
      throw outcomeError(422, 'business-rule', `The change routes the referral to another partnership (${route.partnership.id}, not ${owner ?? 'its own'}); cancel it and send a new referral`, `${pkg.serviceRequestPath}.subject`)
    }
    const at = now.toISOString()
    const versionId = nextVersionId(current.meta?.versionId)
    const changed = retriagedTask(current, fresh, versionId, at)
    const storedTask: StoredResource = { resourceType: 'Task', id: task.id, versionId, lastUpdated: at, resource: changed }

    const srVersionId = nextVersionId(serviceRequest.versionId)
    const stamp = (r: Resource, v: string): StoredResource => ({ resourceType: r.resourceType, id: r.id ?? '', versionId: v, lastUpdated: at, resource: { ...r, meta: { ...r.meta, versionId: v, lastUpdated: at } } as Resource })
    // the envelope (MessageHeader) of the original message stays: responses answer its Bundle.id
    const others = prepared.resources
      .filter((r) => r.resourceType !== 'MessageHeader' && !(r.resourceType === 'ServiceRequest' && r.id === serviceRequestId))
      .map((r) => stamp(r, '1'))
    const sr = prepared.resources.find((r) => r.resourceType === 'ServiceRequest' && r.id === serviceRequestId)
    if (sr === undefined) throw new Error('prepared referral lacks its ServiceRequest')
    const storedSr = stamp(reference === undefined ? sr : withReference(sr as ServiceRequest, reference), srVersionId)

    // delivered on the same terms as at intake (accept-referral.ts: only with referral consent); a referral
    // row still waiting maps the referral when sent, so it carries the change already and a
    // second row would deliver the same referral twice (as for a cancellation, cancel-referral.ts)
    const waiting = eligible && partnershipNotice(await deps.store.listDeliveries({ partnershipId: route.partnership.id, serviceRequestId, limit: 100 }), true, now) === 'pending-referral'
    const deliver = eligible && !waiting
    const outbox: NewOutboxRow | undefined = deliver ? { id: deps.newId(), partnershipId: route.partnership.id, serviceRequestId, taskId: task.id, createdAt: at } : undefined
    const result = await deps.store.updateTask({
      task: storedTask,
      expectedVersionId: task.versionId,
      status: changed.status,
      resources: [{ resource: storedSr, expectedVersionId: serviceRequest.versionId }, ...others.map((resource) => ({ resource }))],
      requestId: { id: ctx.requestId, serviceRequestId },
      // whose the referral is does not change: its practice and partnership as first stored
      scope: referralScope(serviceRequestId, (serviceRequest.resource as ServiceRequest).requester, route.partnership.id),
      ...(outbox === undefined ? {} : { outbox }),
      audit: [storedSr, ...others, storedTask].map((s) => auditRecord(deps.newId(), now, {
        action: s.resourceType === 'Task' || s.resourceType === 'ServiceRequest' ? 'U' : 'C', subtype: 'update', agent: ctx.agent, entity: `${s.resourceType}/${s.id}`, correlationId: ctx.correlationId
      }))
    })
    if (result.kind !== 'updated') {
      throw outcomeError(409, 'conflict', 'The referral changed while this update was applied; send it again', `Bundle.entry[${message.focusIndex}].resource`)
    }
    return { serviceRequest: storedSr, task: storedTask, queuedForDelivery: deliver }
  })
}
