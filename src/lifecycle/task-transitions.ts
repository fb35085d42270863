import type { OperationOutcomeIssue, Task } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import { isOutcomeOutput } from './lifecycle-codes.ts'
import { jsonEqual } from '../json-equal.ts'

/** Task.status codes (R4 codesystem-task-status). */
export type TaskStatus = Task['status']

/**
 * The Task state machine as a partnership drives it, from R4 task.html "Task state machine"
 * and the status definitions of codesystem-task-status:
 *
 * - requested → received (claimed, deciding) | accepted | rejected | cancelled
 * - received → accepted | rejected | cancelled
 * - accepted → in-progress | on-hold | rejected (declined before any work) | cancelled
 * - in-progress → on-hold | completed | failed | cancelled
 * - on-hold → accepted | in-progress | rejected | failed | cancelled. Triage puts a referral
 *   that needs more information on hold before any partnership accepted it, so from on-hold
 *   the partnership may still accept or reject it, as well as resume paused work.
 * - ready (never set by the gateway) → in-progress | cancelled
 * - draft is the requester's; completed, rejected, cancelled, failed and entered-in-error are
 *   terminal: nothing about the Task may change afterwards.
 */
export const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  draft: [],
  requested: ['received', 'accepted', 'rejected', 'cancelled'],
  received: ['accepted', 'rejected', 'cancelled'],
  accepted: ['in-progress', 'on-hold', 'rejected', 'cancelled'],
  ready: ['in-progress', 'cancelled'],
  'in-progress': ['on-hold', 'completed', 'failed', 'cancelled'],
  'on-hold': ['accepted', 'in-progress', 'rejected', 'failed', 'cancelled'],
  completed: [],
  rejected: [],
  cancelled: [],
  failed: [],
  'entered-in-error': []
}

/** Statuses a Task never leaves; a Task in one of them cannot be updated at all. */
export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['completed', 'rejected', 'cancelled', 'failed', 'entered-in-error'])

/**
 * What moving into a status needs beyond the status itself:
 * - reason: a new Task.statusReason (one different from the current, so a reason left over
 *   from an earlier status, e.g. triage's "Missing: …", does not count);
 * - outcome: at least one Task.output of type partnership-output#outcome with a code from the
 *   WorkWell referral-outcome CodeSystem (lifecycle-codes.ts).
 */
export const REQUIREMENTS: Readonly<Partial<Record<TaskStatus, 'reason' | 'outcome'>>> = {
  rejected: 'reason',
  failed: 'reason',
  completed: 'outcome'
}

function isTaskStatus (value: unknown): value is TaskStatus {
  return typeof value === 'string' && Object.hasOwn(TRANSITIONS, value)
}

function hasContent (concept: unknown): boolean {
  if (concept === null || typeof concept !== 'object') return false
  const { text, coding } = concept as { text?: unknown, coding?: unknown }
  return (typeof text === 'string' && text.trim() !== '') || (Array.isArray(coding) && coding.length > 0)
}

/**
 * Checks a change of Task from `current` to `next` against the state machine. Pure.
 *
 * Every refusal is one issue of code business-rule, which the route answers with 422
 * (R4 http.html: 422 for a resource that breaks the server's business rules). A transition
 * out of a terminal status is refused the same way rather than with 409: the client's copy
 * is not stale (If-Match already proved that), the move itself is not allowed.
 *
 * @returns the issues; empty when the change is allowed
 */
export function checkTransition (current: Pick<Task, 'status' | 'statusReason'>, next: Pick<Task, 'status' | 'statusReason' | 'output'>): OperationOutcomeIssue[] {
  const from = current.status
  const to: unknown = next.status
  if (TERMINAL_STATUSES.has(from)) {
    return [issue('error', 'business-rule', `The Task is ${from}, a final status: it can no longer be changed`, 'Task.status')]
  }
  if (!isTaskStatus(to)) {
    return [issue('error', 'code-invalid', `${JSON.stringify(to) ?? 'no status'} is not a Task status`, 'Task.status')]
  }
  if (to === from) return []
  const allowed = TRANSITIONS[from] ?? []
  if (!allowed.includes(to)) {
    const options = allowed.length === 0 ? 'none' : allowed.join(', ')
    return [issue('error', 'business-rule', `A Task cannot move from ${from} to ${to}; from ${from} it may move to: ${options}`, 'Task.status')]
  }
  switch (REQUIREMENTS[to]) {
    case 'reason':
      if (!hasContent(next.statusReason) || jsonEqual(next.statusReason, current.statusReason)) {
        return [issue('error', 'business-rule', `Moving a Task to ${to} needs a new statusReason saying why`, 'Task.statusReason')]
      }
      break
    case 'outcome':
      if (!(Array.isArray(next.output) && next.output.some(isOutcomeOutput))) {
        return [issue('error', 'business-rule',
          'Completing a Task needs an output of type partnership-output#outcome with a code from the WorkWell referral-outcome CodeSystem', 'Task.output')]
      }
      break
    case undefined:
  }
  return []
}
