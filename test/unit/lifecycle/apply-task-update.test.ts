import type { Task, TaskOutput } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { applyTaskUpdate, nextVersionId, type TaskUpdateVerdict } from '../../../src/lifecycle/apply-task-update.ts'
import { PARTNERSHIP_OUTPUT_SYSTEM, REFERRAL_OUTCOME_SYSTEM } from '../../../src/lifecycle/lifecycle-codes.ts'

const T0 = '2026-03-01T09:00:00.000Z'
const NOW = new Date('2026-03-02T10:30:00.000Z')

const TRIAGE_OUTPUT: TaskOutput = {
  extension: [{ url: 'https://fhir.workwell.example/StructureDefinition/triage-reason', valueString: 'R1: reason' }],
  type: { coding: [{ system: 'https://fhir.workwell.example/CodeSystem/triage-output', code: 'recommended-service' }] },
  valueCodeableConcept: { coding: [{ system: 'https://fhir.workwell.example/CodeSystem/service-type', code: 'physio' }] }
}
const OUTCOME: TaskOutput = {
  type: { coding: [{ system: PARTNERSHIP_OUTPUT_SYSTEM, code: 'outcome' }] },
  valueCodeableConcept: { coding: [{ system: REFERRAL_OUTCOME_SYSTEM, code: 'stayed-in-work' }] }
}

function stored (status: Task['status'] = 'requested'): Task {
  return {
    resourceType: 'Task',
    id: 't1',
    meta: { versionId: '1', lastUpdated: T0, profile: ['https://fhir.workwell.example/StructureDefinition/WorkWell-TriageTask'] },
    extension: [{ url: 'https://fhir.workwell.example/StructureDefinition/triage-rules-version', valueString: '1.0.0' }],
    basedOn: [{ reference: 'ServiceRequest/sr1' }],
    status,
    businessStatus: { coding: [{ system: 'https://fhir.workwell.example/CodeSystem/triage-outcome', code: 'eligible-refer' }] },
    intent: 'order',
    priority: 'routine',
    focus: { reference: 'ServiceRequest/sr1' },
    for: { reference: 'Patient/p1' },
    authoredOn: T0,
    lastModified: T0,
    owner: { reference: 'Organization/north-east', type: 'Organization' },
    note: [{ time: T0, text: 'Triage summary' }],
    output: [TRIAGE_OUTPUT]
  }
}

function ok (verdict: TaskUpdateVerdict): Task {
  if (!verdict.ok) throw new Error(`refused: ${JSON.stringify(verdict.issues)}`)
  return verdict.task
}

function refused (verdict: TaskUpdateVerdict): string[] {
  if (verdict.ok) throw new Error('expected a refusal')
  return verdict.issues.flatMap((i) => i.expression ?? [])
}

describe('applyTaskUpdate', () => {
  it('takes the new status, bumps the version and sets lastUpdated and lastModified from the clock', () => {
    const current = stored()
    const task = ok(applyTaskUpdate(current, { ...stored(), status: 'accepted' }, NOW))
    expect(task.status).toBe('accepted')
    expect(task.meta).toEqual({ ...current.meta, versionId: '2', lastUpdated: NOW.toISOString() })
    expect(task.lastModified).toBe(NOW.toISOString())
    expect(task.owner).toEqual(current.owner)
    // the stored Task is not touched
    expect(current.status).toBe('requested')
  })

  it('ignores the meta and lastModified a client sends', () => {
    const task = ok(applyTaskUpdate(stored(), { ...stored(), status: 'accepted', meta: { versionId: '99', tag: [{ code: 'x' }] }, lastModified: '2000-01-01' }, NOW))
    expect(task.meta?.versionId).toBe('2')
    expect(task.meta?.tag).toBeUndefined()
    expect(task.lastModified).toBe(NOW.toISOString())
  })

  it('refuses a change to any gateway-owned element, naming each path', () => {
    const proposed: Task = {
      ...stored(),
      status: 'accepted',
      owner: { reference: 'Organization/elsewhere' },
      intent: 'plan',
      extension: [],
      requester: { reference: 'Practitioner/x' }
    }
    delete proposed.focus
    expect(refused(applyTaskUpdate(stored(), proposed, NOW)).sort()).toEqual(['Task.extension', 'Task.focus', 'Task.intent', 'Task.owner', 'Task.requester'])
  })

  it('lets status, statusReason, businessStatus and executionPeriod change, and removes ones left out', () => {
    const proposed: Task = {
      ...stored(),
      status: 'accepted',
      businessStatus: { text: 'Allocated to a case worker' },
      executionPeriod: { start: '2026-03-02T10:00:00Z' }
    }
    const task = ok(applyTaskUpdate(stored(), proposed, NOW))
    expect(task.businessStatus).toEqual({ text: 'Allocated to a case worker' })
    expect(task.executionPeriod).toEqual({ start: '2026-03-02T10:00:00Z' })
    const withoutBusinessStatus = { ...stored(), status: 'accepted' as const }
    delete withoutBusinessStatus.businessStatus
    expect(ok(applyTaskUpdate(stored(), withoutBusinessStatus, NOW)).businessStatus).toBeUndefined()
  })

  it('appends notes, stamping the new ones without a time with the server time', () => {
    const proposed: Task = { ...stored(), note: [...stored().note ?? [], { text: 'First contact made' }, { time: '2026-03-02T09:00:00Z', text: 'Called' }] }
    const task = ok(applyTaskUpdate(stored(), proposed, NOW))
    expect(task.note).toEqual([
      { time: T0, text: 'Triage summary' },
      { time: NOW.toISOString(), text: 'First contact made' },
      { time: '2026-03-02T09:00:00Z', text: 'Called' }
    ])
  })

  it('refuses a changed, dropped or reordered note or output with its index', () => {
    expect(refused(applyTaskUpdate(stored(), { ...stored(), note: [{ time: T0, text: 'edited' }] }, NOW))).toEqual(['Task.note[0]'])
    expect(refused(applyTaskUpdate(stored(), { ...stored(), note: [] }, NOW))).toEqual(['Task.note[0]'])
    const noOutputs = stored()
    delete noOutputs.output
    expect(refused(applyTaskUpdate(stored(), noOutputs, NOW))).toEqual(['Task.output[0]'])
    expect(refused(applyTaskUpdate(stored(), { ...stored(), output: [OUTCOME, TRIAGE_OUTPUT] }, NOW))).toEqual(['Task.output[0]'])
  })

  it('refuses note or output that is not an array, without throwing', () => {
    const bad = { ...stored(), note: 'hello' } as unknown as Task
    expect(refused(applyTaskUpdate(stored(), bad, NOW))).toEqual(['Task.note'])
  })

  it('accepts only partnership outputs after the triage ones', () => {
    const current = stored('in-progress')
    expect(refused(applyTaskUpdate(current, { ...stored('in-progress'), output: [TRIAGE_OUTPUT, TRIAGE_OUTPUT] }, NOW))).toEqual(['Task.output[1].type'])
    const badOutcome = { ...OUTCOME, valueCodeableConcept: { text: 'went well' } }
    expect(refused(applyTaskUpdate(current, { ...stored('in-progress'), output: [TRIAGE_OUTPUT, badOutcome] }, NOW))).toEqual(['Task.output[1].valueCodeableConcept'])
    const reference: TaskOutput = { type: { coding: [{ system: PARTNERSHIP_OUTPUT_SYSTEM, code: 'partner-reference' }] }, valueIdentifier: { system: 'https://partner.example/case', value: 'C-1' } }
    expect(ok(applyTaskUpdate(current, { ...stored('in-progress'), output: [TRIAGE_OUTPUT, reference] }, NOW)).output).toHaveLength(2)
    const emptyReference: TaskOutput = { ...reference, valueIdentifier: { system: 'https://partner.example/case' } }
    expect(refused(applyTaskUpdate(current, { ...stored('in-progress'), output: [TRIAGE_OUTPUT, emptyReference] }, NOW))).toEqual(['Task.output[1]'])
  })

  it('completes with an appended outcome, and refuses completion without one', () => {
    const current = stored('in-progress')
    const task = ok(applyTaskUpdate(current, { ...stored('in-progress'), status: 'completed', output: [TRIAGE_OUTPUT, OUTCOME] }, NOW))
    expect(task.status).toBe('completed')
    expect(refused(applyTaskUpdate(current, { ...stored('in-progress'), status: 'completed' }, NOW))).toEqual(['Task.output'])
  })

  it('applies the state machine after the element rules', () => {
    expect(refused(applyTaskUpdate(stored(), { ...stored(), status: 'completed', output: [TRIAGE_OUTPUT, OUTCOME] }, NOW))).toEqual(['Task.status'])
    expect(refused(applyTaskUpdate(stored(), { ...stored(), status: 'rejected' }, NOW))).toEqual(['Task.statusReason'])
  })
})

describe('nextVersionId', () => {
  it('counts up from the stored version', () => {
    expect(nextVersionId('1')).toBe('2')
    expect(nextVersionId('41')).toBe('42')
  })

  it('throws on a version the gateway never writes', () => {
    expect(() => nextVersionId(undefined)).toThrow(TypeError)
    expect(() => nextVersionId('abc')).toThrow(TypeError)
    expect(() => nextVersionId('01')).toThrow(TypeError)
  })
})
