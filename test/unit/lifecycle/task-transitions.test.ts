import type { Task } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { PARTNERSHIP_OUTPUT_SYSTEM, REFERRAL_OUTCOME_SYSTEM } from '../../../src/lifecycle/lifecycle-codes.ts'
import { checkTransition, TERMINAL_STATUSES, TRANSITIONS, type TaskStatus } from '../../../src/lifecycle/task-transitions.ts'

const REASON = { text: 'Outside our service area' }
const OUTCOME = {
  type: { coding: [{ system: PARTNERSHIP_OUTPUT_SYSTEM, code: 'outcome' }] },
  valueCodeableConcept: { coding: [{ system: REFERRAL_OUTCOME_SYSTEM, code: 'returned-to-work' }] }
}

/** A proposed next Task that carries whatever each target status needs. */
function complete (status: TaskStatus): Pick<Task, 'status' | 'statusReason' | 'output'> {
  return { status, statusReason: REASON, output: [OUTCOME] }
}

const ALL = Object.keys(TRANSITIONS) as TaskStatus[]

describe('the Task state machine as data', () => {
  it('has the moves of R4 task.html for the statuses a partnership drives', () => {
    expect(TRANSITIONS.requested).toEqual(['received', 'accepted', 'rejected', 'cancelled'])
    expect(TRANSITIONS.accepted).toEqual(['in-progress', 'on-hold', 'rejected', 'cancelled'])
    expect(TRANSITIONS['in-progress']).toEqual(['on-hold', 'completed', 'failed', 'cancelled'])
  })

  it('lets no terminal status go anywhere, and never goes back to requested or draft', () => {
    for (const s of TERMINAL_STATUSES) expect(TRANSITIONS[s]).toEqual([])
    for (const s of ALL) {
      expect(TRANSITIONS[s]).not.toContain('requested')
      expect(TRANSITIONS[s]).not.toContain('draft')
    }
  })
})

describe('checkTransition', () => {
  it('allows every listed move when its requirement is met, and refuses every other one with 422 business-rule', () => {
    for (const from of ALL.filter((s) => !TERMINAL_STATUSES.has(s))) {
      for (const to of ALL.filter((s) => s !== from)) {
        const issues = checkTransition({ status: from }, complete(to))
        if (TRANSITIONS[from].includes(to)) {
          expect(issues, `${from} → ${to}`).toEqual([])
        } else {
          expect(issues, `${from} → ${to}`).toHaveLength(1)
          expect(issues[0]).toMatchObject({ severity: 'error', code: 'business-rule', expression: ['Task.status'] })
        }
      }
    }
  })

  it('names the allowed moves in the diagnostics', () => {
    expect(checkTransition({ status: 'requested' }, { status: 'completed' })[0]?.diagnostics)
      .toBe('A Task cannot move from requested to completed; from requested it may move to: received, accepted, rejected, cancelled')
  })

  it('refuses any change to a terminal Task, even one that keeps the status', () => {
    for (const from of TERMINAL_STATUSES) {
      expect(checkTransition({ status: from }, { status: from })[0]).toMatchObject({ code: 'business-rule', expression: ['Task.status'] })
    }
    expect(checkTransition({ status: 'completed' }, complete('in-progress'))[0]?.diagnostics).toMatch(/completed, a final status/)
  })

  it('allows staying in a non-terminal status (a note or businessStatus change)', () => {
    expect(checkTransition({ status: 'accepted' }, { status: 'accepted' })).toEqual([])
  })

  it('needs a new statusReason to reject or fail', () => {
    expect(checkTransition({ status: 'requested' }, { status: 'rejected' })[0]).toMatchObject({ code: 'business-rule', expression: ['Task.statusReason'] })
    expect(checkTransition({ status: 'requested' }, { status: 'rejected', statusReason: { text: '  ' } })).toHaveLength(1)
    expect(checkTransition({ status: 'requested' }, { status: 'rejected', statusReason: { coding: [{ code: 'x' }] } })).toEqual([])
    // a reason left over from triage's hold does not count as the partnership's reason
    const held = { status: 'on-hold' as const, statusReason: { text: 'Missing: postcode' } }
    expect(checkTransition(held, { status: 'rejected', statusReason: held.statusReason })[0]?.expression).toEqual(['Task.statusReason'])
    expect(checkTransition(held, { status: 'rejected', statusReason: REASON })).toEqual([])
    expect(checkTransition({ status: 'in-progress' }, { status: 'failed' })[0]?.expression).toEqual(['Task.statusReason'])
  })

  it('needs a coded WorkWell outcome output to complete', () => {
    expect(checkTransition({ status: 'in-progress' }, { status: 'completed' })[0]).toMatchObject({ code: 'business-rule', expression: ['Task.output'] })
    const uncoded = { ...OUTCOME, valueCodeableConcept: { coding: [{ system: REFERRAL_OUTCOME_SYSTEM, code: 'made-up' }] } }
    expect(checkTransition({ status: 'in-progress' }, { status: 'completed', output: [uncoded] })).toHaveLength(1)
    const otherSystem = { ...OUTCOME, type: { coding: [{ system: 'http://example.org', code: 'outcome' }] } }
    expect(checkTransition({ status: 'in-progress' }, { status: 'completed', output: [otherSystem] })).toHaveLength(1)
    expect(checkTransition({ status: 'in-progress' }, { status: 'completed', output: [OUTCOME] })).toEqual([])
  })

  it('needs nothing more to cancel', () => {
    expect(checkTransition({ status: 'in-progress' }, { status: 'cancelled' })).toEqual([])
  })

  it('reports a status that is not a Task status as code-invalid, without throwing', () => {
    expect(checkTransition({ status: 'requested' }, { status: 'done' as TaskStatus })[0]).toMatchObject({ code: 'code-invalid', expression: ['Task.status'] })
    expect(checkTransition({ status: 'requested' }, {} as Task)[0]?.diagnostics).toBe('no status is not a Task status')
  })
})
