import type { Task } from '@medplum/fhirtypes'
import { auditRecord } from '../audit/audit-record.ts'
import { readEnvelope } from '../bars/envelope.ts'
import { outcomeRow } from '../bars/outcome-messages.ts'
import { hasErrors, OperationOutcomeError } from '../fhir/operation-outcome.ts'
import type { NewOutboxRow, StoredResource, Store } from '../store/store.ts'
import type { ResourceValidator } from '../validation/validator.ts'
import { applyTaskUpdate } from './apply-task-update.ts'
import { TRIAGE_TASK_PROFILE } from '../validation/profiles.ts'

export interface CommitTaskDeps {
  store: Pick<Store, 'readResource' | 'updateTask'>
  validator: ResourceValidator
  clock: { now(): Date }
  newId: () => string
}

/** Who asked for the change, for the audit record. */
export interface TaskUpdateActor {
  agent: string
  correlationId?: string
  /** the audit subtype: the FHIR interaction ('update' for PUT, 'patch' for PATCH) */
  interaction: 'update' | 'patch'
}

export type CommitTaskResult =
  | { kind: 'updated', stored: StoredResource & { resource: Task }, outbox?: NewOutboxRow }
  | { kind: 'not-found' }
  /** another update from the same version committed first; nothing was written */
  | { kind: 'version-conflict', currentVersionId: string }

/** The id of the ServiceRequest a triage Task is based on (the gateway writes "ServiceRequest/{id}"). */
function basedOnId (task: Task): string | undefined {
  const m = /^ServiceRequest\/([A-Za-z0-9\-.]{1,64})$/.exec(task.basedOn?.[0]?.reference ?? '')
  return m?.[1]
}

/**
 * The one write path for a partnership's change to a Task, shared by PUT/PATCH /fhir/Task/{id}
 * and the console: the lifecycle rules, the validator, the version-checked write with its
 * audit record and, for a referral that came as a BaRS message, the response queued in the
 * same transaction.
 *
 * @param current the stored Task at the version the caller's If-Match named
 * @throws OperationOutcomeError (422) when the lifecycle rules or the validator refuse the change
 */
export async function commitTaskUpdate (deps: CommitTaskDeps, actor: TaskUpdateActor, current: StoredResource & { resource: Task }, proposed: Task): Promise<CommitTaskResult> {
  const now = deps.clock.now()
  const verdict = applyTaskUpdate(current.resource, proposed, now)
  if (!verdict.ok) throw new OperationOutcomeError(422, verdict.issues)
  const task = verdict.task
  // the same validator as every write, held to the triage Task profile whether or not the Task
  // claims it: a partnership's change must leave a Task every reader can rely on
  const errors = deps.validator.validate(task, { profile: TRIAGE_TASK_PROFILE }).filter((i) => hasErrors([i]))
  if (errors.length > 0) throw new OperationOutcomeError(422, errors)

  const versionId = task.meta?.versionId ?? ''
  const lastUpdated = task.meta?.lastUpdated ?? now.toISOString()
  const stored = { resourceType: 'Task', id: current.id, versionId, lastUpdated, resource: task }
  // a referral that came as a BaRS message: the referrer hears of the move by a response
  // message, queued in the Task's own transaction so neither happens without the other
  const serviceRequestId = basedOnId(current.resource)
  const envelope = serviceRequestId === undefined ? undefined : readEnvelope((await deps.store.readResource('MessageHeader', serviceRequestId))?.resource)
  const outbox = serviceRequestId === undefined ? undefined : outcomeRow(envelope, current.resource, { ...task, id: current.id }, serviceRequestId, deps.newId(), now)
  const result = await deps.store.updateTask({
    task: stored,
    expectedVersionId: current.versionId,
    status: task.status,
    ...(outbox === undefined ? {} : { outbox }),
    audit: [auditRecord(deps.newId(), now, {
      action: 'U', subtype: actor.interaction, agent: actor.agent, entity: `Task/${current.id}`, ...(actor.correlationId === undefined ? {} : { correlationId: actor.correlationId })
    })]
  })
  switch (result.kind) {
    case 'not-found':
    case 'version-conflict':
      return result
    case 'resource-conflict':
      // this write rewrites no other resource, so the store cannot answer this
      throw new Error(`Task/${current.id}: unexpected ${result.kind} for ${result.resourceType}/${result.id}`)
    case 'updated':
  }
  return { kind: 'updated', stored, ...(outbox === undefined ? {} : { outbox }) }
}
