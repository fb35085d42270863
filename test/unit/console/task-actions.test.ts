import type { Task } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { applyTaskUpdate } from '../../../src/lifecycle/apply-task-update.ts'
import { actionChange, actionsFor, isTaskAction } from '../../../src/console/task-actions.ts'

const task: Task = { resourceType: 'Task', id: 't1', meta: { versionId: '1' }, status: 'in-progress', intent: 'order' }

describe('task actions', () => {
  it('offers only what the state machine allows from a status', () => {
    expect(actionsFor('requested')).toEqual(['accept', 'reject'])
    expect(actionsFor('accepted')).toEqual(['start', 'reject'])
    expect(actionsFor('in-progress')).toEqual(['complete'])
    expect(actionsFor('completed')).toEqual([])
    expect(isTaskAction('accept')).toBe(true)
    expect(isTaskAction('toString')).toBe(false)
  })

  it('asks for a reason to reject and an outcome to complete', () => {
    expect(actionChange('reject', { reason: '  ' })).toMatchObject({ ok: false, field: 'reason' })
    expect(actionChange('complete', { outcome: 'nonsense' })).toMatchObject({ ok: false, field: 'outcome' })
    expect(actionChange('complete', { outcome: '__proto__' })).toMatchObject({ ok: false, field: 'outcome' })
  })

  it('builds a change the lifecycle rules accept', () => {
    const done = actionChange('complete', { outcome: 'returned-to-work' })
    if (!done.ok) throw new Error('refused')
    const verdict = applyTaskUpdate(task, done.change(structuredClone(task)), new Date('2026-12-01T10:00:00Z'))
    expect(verdict).toMatchObject({ ok: true, task: { status: 'completed', output: [{ valueCodeableConcept: { coding: [{ code: 'returned-to-work' }] } }] } })
    const reject = actionChange('reject', { reason: 'Moved away' })
    if (!reject.ok) throw new Error('refused')
    expect(reject.change({ ...task, status: 'requested' })).toMatchObject({ status: 'rejected', statusReason: { text: 'Moved away' } })
  })
})
