import type { Bundle, Resource, Task, TaskOutput } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { dataConflict, retriagedTask } from '../../../src/bars/change-referral.ts'
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

  it('keeps the links to earlier referrals of the same person made at intake (docs/hazard-log.md H18), and adds none', () => {
    const link = { type: { coding: [{ system: 'https://fhir.workwell.example/CodeSystem/referral-link', code: 'possible-duplicate' }] }, valueString: 'referral from another practice' }
    expect(retriagedTask({ ...current, input: [link] }, fresh, '4', '2026-02-01T00:00:00.000Z').input).toEqual([link])
    expect(retriagedTask(current, fresh, '4', '2026-02-01T00:00:00.000Z')).not.toHaveProperty('input')
  })

  it('leaves output out when neither triage nor partnership has any', () => {
    const { output: _o, ...bare } = fresh
    const { output: _c, ...bareCurrent } = current
    expect(retriagedTask(bareCurrent, bare, '4', '2026-02-01T00:00:00.000Z')).not.toHaveProperty('output')
  })
})

describe('dataConflict (BaRS meta.lastUpdated)', () => {
  const message = (...at: Array<string | undefined>): { bundle: Bundle, focusIndex: number } => ({
    focusIndex: 1,
    bundle: {
      resourceType: 'Bundle',
      type: 'message',
      entry: [
        { resource: { resourceType: 'MessageHeader', eventCoding: {}, source: { endpoint: 'x' } } },
        ...at.map((lastUpdated, i) => ({ resource: { resourceType: i === 0 ? 'ServiceRequest' : 'Patient', ...(lastUpdated === undefined ? {} : { meta: { lastUpdated } }) } as Resource }))
      ]
    }
  })
  const local = [{ lastUpdated: '2026-11-20T14:00:00.000Z' }, { lastUpdated: '2026-11-20T15:00:00.000Z' }]

  it('lets through a change made at or after the referral last changed here (the latest of its resources counts)', () => {
    expect(dataConflict(message('2026-11-20T15:00:00Z'), local)).toBeUndefined()
    expect(dataConflict(message('2026-11-20T16:00:00+01:00'), local)).toBeUndefined()
    // the ServiceRequest kept its original time; the Patient changed later
    expect(dataConflict(message('2026-11-20T13:00:00Z', '2026-11-20T15:30:00Z'), local)).toBeUndefined()
  })

  it('refuses a change made before the referral last changed here: 409 conflict on the focus', () => {
    const refused = dataConflict(message('2026-11-20T14:30:00Z', '2026-11-20T13:00:00Z'), local)
    expect(refused).toMatchObject({ status: 409, issues: [{ code: 'conflict', expression: ['Bundle.entry[1].resource.meta.lastUpdated'] }] })
    expect(refused?.issues[0]?.diagnostics).toContain('2026-11-20T15:00:00.000Z')
    // offsets are honoured: 15:30+01:00 is 14:30Z
    expect(dataConflict(message('2026-11-20T15:30:00+01:00'), local)?.status).toBe(409)
  })

  it('needs meta.lastUpdated on every resource: 400 required (or value when it is no instant), one issue each', () => {
    const refused = dataConflict(message(undefined, '2026-11-20T16:00:00Z', 'yesterday'), local)
    expect(refused?.status).toBe(400)
    expect(refused?.issues.map((i) => [i.code, i.expression?.[0]])).toEqual([
      ['required', 'Bundle.entry[1].resource.meta.lastUpdated'],
      ['value', 'Bundle.entry[3].resource.meta.lastUpdated']
    ])
  })
})
