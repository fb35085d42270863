import type { Task } from '@medplum/fhirtypes'
import { PARTNERSHIP_OUTPUT, PARTNERSHIP_OUTPUT_SYSTEM, REFERRAL_OUTCOME_SYSTEM, REFERRAL_OUTCOMES } from '../lifecycle/lifecycle-codes.ts'
import { TRANSITIONS } from '../lifecycle/task-transitions.ts'

/** What partnership staff can do to a Task from the console; each is one lifecycle move. */
export const TASK_ACTIONS = {
  accept: { to: 'accepted', label: 'Accept' },
  start: { to: 'in-progress', label: 'Start' },
  complete: { to: 'completed', label: 'Complete' },
  // last: the one move that needs a reason, and ends the Task
  reject: { to: 'rejected', label: 'Reject' }
} as const satisfies Record<string, { to: Task['status'], label: string }>

export type TaskAction = keyof typeof TASK_ACTIONS

export function isTaskAction (value: unknown): value is TaskAction {
  return typeof value === 'string' && Object.hasOwn(TASK_ACTIONS, value)
}

/** The actions the state machine allows from the Task's status (task-transitions.ts decides). */
export function actionsFor (status: Task['status']): TaskAction[] {
  const allowed = TRANSITIONS[status] ?? []
  return (Object.keys(TASK_ACTIONS) as TaskAction[]).filter((a) => allowed.includes(TASK_ACTIONS[a].to))
}

export type ActionInput =
  | { ok: true, change: (task: Task) => Task }
  | { ok: false, field: 'reason' | 'outcome', message: string }

/**
 * The change a form asks for, as the new Task a PUT would carry: only the status and, where the
 * lifecycle needs them, a reason or an outcome output. Pure; the API's rules judge the result.
 */
export function actionChange (action: TaskAction, form: { reason?: string, outcome?: string }): ActionInput {
  const to = TASK_ACTIONS[action].to
  if (action === 'reject') {
    const reason = (form.reason ?? '').trim()
    if (reason === '') return { ok: false, field: 'reason', message: 'Enter why the referral is rejected' }
    if (reason.length > 1000) return { ok: false, field: 'reason', message: 'The reason must be 1000 characters or fewer' }
    return { ok: true, change: (t) => ({ ...t, status: to, statusReason: { text: reason } }) }
  }
  if (action === 'complete') {
    const code = form.outcome ?? ''
    const display = Object.hasOwn(REFERRAL_OUTCOMES, code) ? REFERRAL_OUTCOMES[code] : undefined
    if (display === undefined) return { ok: false, field: 'outcome', message: 'Select the outcome of the support' }
    return {
      ok: true,
      change: (t) => ({
        ...t,
        status: to,
        output: [...(t.output ?? []), {
          type: { coding: [{ system: PARTNERSHIP_OUTPUT_SYSTEM, code: PARTNERSHIP_OUTPUT.outcome }] },
          valueCodeableConcept: { coding: [{ system: REFERRAL_OUTCOME_SYSTEM, code, display }] }
        }]
      })
    }
  }
  return { ok: true, change: (t) => ({ ...t, status: to }) }
}
