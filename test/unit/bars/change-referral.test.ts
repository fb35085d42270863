import type { Task, TaskOutput } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { retriagedTask } from '../../../src/bars/change-referral.ts'
import { PARTNERSHIP_OUTPUT_SYSTEM } from '../../../src/lifecycle/lifecycle-codes.ts'
import { SYSTEMS } from '../../../src/fhir/systems.ts'

const triageOutput = (code: string): TaskOutput => ({ type: { coding: [{ system: SYSTEMS.triageOutput, code: 'recommended-service' }] }, valueCodeableConcept: { coding: [{ code }] } })
const partnerOutput: TaskOutput = { type: { coding: [{ system: PARTNERSHIP_OUTPUT_SYSTEM, code: 'partner-reference' }] }, valueString: 'CASE-1' }

describe('retriagedTask', () => {
  const current: Task = {
    resourceType: 'Task',
    id: 't-1',
    meta: { versionId: '3', lastUpdated: '2026-01-01T00:00:00.000Z', profile: ['p'] },
    status: 'on-hold',
    intent: 'order',
    authoredOn: '2026-01-01T00:00:00.000Z',
    note: [{ text: 'first triage' }],
    output: [triageOutput('old-service'), partnerOutput],
    statusReason: { text: 'Missing: fit note' }
  }
  const fresh: Task = {
    resourceType: 'Task',
    id: 't-1',
    meta: { versionId: '1', lastUpdated: '2026-02-01T00:00:00.000Z' },
    status: 'requested',
    intent: 'order',
    authoredOn: '2026-02-01T00:00:00.000Z',
    note: [{ text: 'second triage' }],
    output: [triageOutput('new-service')]
  }

  it('takes the new triage, keeps the notes, the partnership\'s outputs, authoredOn, and moves the version on', () => {
    const task = retriagedTask(current, fresh, '4', '2026-02-01T00:00:00.000Z')
    expect(task.status).toBe('requested')
    expect(task.statusReason).toBeUndefined()
    expect(task.note).toEqual([{ text: 'first triage' }, { text: 'second triage' }])
    expect(task.output).toEqual([triageOutput('new-service'), partnerOutput])
    expect(task.authoredOn).toBe('2026-01-01T00:00:00.000Z')
    expect(task.meta).toEqual({ versionId: '4', lastUpdated: '2026-02-01T00:00:00.000Z', profile: ['p'] })
    expect(task.lastModified).toBe('2026-02-01T00:00:00.000Z')
  })

  it('leaves output out when neither triage nor partnership has any', () => {
    const { output: _o, ...bare } = fresh
    const { output: _c, ...bareCurrent } = current
    expect(retriagedTask(bareCurrent, bare, '4', '2026-02-01T00:00:00.000Z')).not.toHaveProperty('output')
  })
})
