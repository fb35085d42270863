import type { Reference, Task } from '@medplum/fhirtypes'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ReferralFacts } from '../../../src/referral/referral-facts.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'
import { buildTriageTask, LOCAL_SERVICE_EXTENSION, TRIAGE_TASK_PROFILE, taskStatus, type TaskInput } from '../../../src/triage/build-task.ts'
import { TRIAGE_OUTCOME_CODE_SYSTEM, TRIAGE_OUTPUT_CODE_SYSTEM } from '../../../src/triage/triage-code-systems.ts'
import type { ResolvedRules } from '../../../src/triage/rules.ts'
import { triageReferral } from '../../../src/triage/triage.ts'
import type { TriageResult } from '../../../src/triage/triage-result.ts'
import { loadReal } from './rules-fixture.ts'

const NOW = new Date('2026-11-20T10:15:00.000Z')
const CS = 'https://fhir.workwell.example/CodeSystem'
const SD = 'https://fhir.workwell.example/StructureDefinition'
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'

const ncl: Partnership = {
  id: 'north-central-london',
  name: 'North Central London WorkWell',
  leadIcbs: [
    { odsCode: 'QMJ', name: 'NHS North Central London ICB', from: '2022-07-01', to: '2026-03-31' },
    { odsCode: 'Z9B2Z', name: 'NHS West and North London', from: '2026-04-01' }
  ],
  practices: ['F83674'],
  postcodeDistricts: ['N7'],
  delivery: { endpoint: 'http://127.0.0.1:9090/ncl', format: 'fhir-bundle', maxAttempts: 8 },
  sources: []
}
const [qmj, z9b2z] = ncl.leadIcbs as [Partnership['leadIcbs'][number], Partnership['leadIcbs'][number]]

const patient: Reference = { type: 'Patient', identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9912003888' } }
const requester: Task['requester'] = { type: 'Organization', identifier: { system: ODS, value: 'F83674' }, display: 'The Junction Medical Practice' }

let rules: ResolvedRules
beforeAll(async () => {
  const r = (await loadReal()).rules.get('north-central-london')
  if (r === undefined) throw new Error('no NCL rules')
  rules = r
})
const triageOf = (facts: ReferralFacts): TriageResult => triageReferral(facts, rules, ncl, NOW)

const urgentFacts: ReferralFacts = {
  birthDate: '1986-04-12',
  postcode: 'N7 6LB',
  registeredPracticeOds: 'F83674',
  employmentSituation: 'employed-off-sick',
  indicators: ['at-risk-of-job-loss'],
  fitNote: { outcome: 'not-fit', advice: ['workplace-adaptations'] },
  referralConsent: true,
  reasonCodes: ['35489007'],
  isReferral: true
}

function input (triage: TriageResult, over: Partial<TaskInput> = {}): TaskInput {
  return { id: 'task-1', serviceRequestId: 'sr-1', patient, requester, partnership: ncl, icb: z9b2z, triage, now: NOW, ...over }
}

describe('buildTriageTask', () => {
  let triage: TriageResult
  let task: Task
  // built for each test, so a mutation tool's per-test coverage sees every test that reads it
  beforeEach(() => {
    triage = triageOf(urgentFacts)
    task = buildTriageTask(input(triage))
  })

  it('points at the referral, the patient, the requester and the owning partnership', () => {
    expect(task.resourceType).toBe('Task')
    expect(task.id).toBe('task-1')
    expect(task.basedOn).toStrictEqual([{ reference: 'ServiceRequest/sr-1' }])
    expect(task.focus).toStrictEqual({ reference: 'ServiceRequest/sr-1' })
    expect(task.for).toStrictEqual(patient)
    expect(task.requester).toStrictEqual(requester)
    expect(task.owner).toStrictEqual({
      reference: 'Organization/north-central-london',
      type: 'Organization',
      identifier: { system: ODS, value: 'Z9B2Z' },
      display: 'North Central London WorkWell'
    })
  })

  it('names the ICB it was given as owner, so a referral before April 2026 carries the old code', () => {
    expect(buildTriageTask(input(triage, { icb: qmj })).owner?.identifier).toStrictEqual({ system: ODS, value: 'QMJ' })
  })

  it('is an order with the triage priority, stamped with the time and profile', () => {
    expect(task.intent).toBe('order')
    expect(task.priority).toBe('urgent')
    expect(task.authoredOn).toBe('2026-11-20T10:15:00.000Z')
    expect(task.lastModified).toBe('2026-11-20T10:15:00.000Z')
    expect(task.meta).toStrictEqual({ versionId: '1', lastUpdated: '2026-11-20T10:15:00.000Z', profile: [TRIAGE_TASK_PROFILE] })
    expect(TRIAGE_TASK_PROFILE).toBe(`${SD}/WorkWell-TriageTask`)
  })

  it('carries the referral reference as an identifier and says it first in the note', () => {
    const referenced = buildTriageTask(input(triage, { reference: 'WW-00000-0000A' }))
    expect(referenced.identifier).toStrictEqual([{ system: 'https://fhir.workwell.example/Id/referral-reference', value: 'WW-00000-0000A' }])
    expect(referenced.note).toStrictEqual([{ time: '2026-11-20T10:15:00.000Z', text: `Referral reference WW-00000-0000A. ${triage.summary}` }])
    expect(task).not.toHaveProperty('identifier')
  })

  it('gives the review first and then what is missing as the status reason, joined by a semicolon', () => {
    const held = buildTriageTask(input({ ...triage, review: 'the rules passed their review date', missing: [{ what: 'fit note', expression: 'ServiceRequest.supportingInfo' }] }))
    expect(held.statusReason).toStrictEqual({ text: 'The rules passed their review date; Missing: fit note' })
  })

  it('gives a local service only the ways to reach it that it has, and no instructions it lacks', () => {
    const output = { kind: 'signpost' as const, code: 'debt-advice', display: 'Debt advice', rule: 'baseline/x', reason: 'r', local: { name: 'National Debtline', phone: '0808 808 4000' } }
    const built = buildTriageTask(input({ ...triage, outputs: [output] }))
    expect(built.output?.[0]?.extension?.[1]).toStrictEqual({
      url: LOCAL_SERVICE_EXTENSION,
      extension: [{ url: 'name', valueString: 'National Debtline' }, { url: 'telecom', valueContactPoint: { system: 'phone', value: '0808 808 4000' } }]
    })
  })

  it('records the rules version in an extension', () => {
    expect(task.extension).toStrictEqual([{ url: `${SD}/triage-rules-version`, valueString: 'workwell-baseline/2026.12.4+north-central-london/2026.12.1' }])
  })

  it('carries the outcome as businessStatus and the summary as a note', () => {
    expect(task.status).toBe('requested')
    expect(task.businessStatus).toStrictEqual({
      coding: [{ system: `${CS}/triage-outcome`, code: 'eligible-refer', display: 'Eligible: refer to WorkWell' }],
      text: triage.reasons.join('; ')
    })
    expect(task.businessStatus?.text).toContain('urgent: off sick and at risk of losing the job (rule baseline/urgent-at-risk-of-job-loss)')
    expect(task.note).toStrictEqual([{ time: '2026-11-20T10:15:00.000Z', text: triage.summary }])
    expect(task.statusReason).toBeUndefined()
  })

  it('has one output per triage output, coded in the service or signpost system, with its rule', () => {
    expect(task.output).toHaveLength(triage.outputs.length)
    triage.outputs.forEach((o, i) => {
      const out = task.output?.[i]
      expect(out?.type).toStrictEqual({
        coding: [{ system: `${CS}/triage-output`, code: o.kind === 'service' ? 'recommended-service' : 'signpost' }]
      })
      expect(out?.valueCodeableConcept?.coding).toStrictEqual([{ system: o.kind === 'service' ? `${CS}/service-type` : `${CS}/signpost-type`, code: o.code, display: o.display }])
      // the rule and reason come first, so a reader that takes extension[0] gets the reason
      expect(out?.extension?.[0]).toStrictEqual({ url: `${SD}/triage-reason`, valueString: `${o.rule}: ${o.reason}` })
      expect(out?.valueCodeableConcept?.text).toBe(o.local === undefined ? undefined : `${o.display}: ${o.local.name}`)
    })
    const signpost = task.output?.find((o) => o.valueCodeableConcept?.coding?.[0]?.code === 'access-to-work')
    expect(signpost?.type?.coding?.[0]?.code).toBe('signpost')
    expect(signpost?.valueCodeableConcept?.coding?.[0]?.system).toBe(`${CS}/signpost-type`)
    const service = task.output?.find((o) => o.valueCodeableConcept?.coding?.[0]?.code === 'return-to-work-plan')
    expect(service?.type?.coding?.[0]?.code).toBe('recommended-service')
    expect(service?.extension?.[0]?.valueString).toMatch(/^baseline\/off-sick-return-to-work: /)
  })

  it('names the local service and how to reach it in a complex extension of each output', () => {
    const service = task.output?.find((o) => o.valueCodeableConcept?.coding?.[0]?.code === 'work-health-assessment')
    expect(service?.extension?.[1]).toStrictEqual({
      url: LOCAL_SERVICE_EXTENSION,
      extension: [
        { url: 'name', valueString: 'North Central London WorkWell (delivered by Shaw Trust)' },
        { url: 'telecom', valueContactPoint: { system: 'url', value: 'https://gps.northcentrallondon.icb.nhs.uk/services/workwell' } },
        { url: 'instructions', valueString: 'Referral by the GP practice' }
      ]
    })
    const debt = task.output?.find((o) => o.valueCodeableConcept?.coding?.[0]?.code === 'debt-advice')
    expect(debt?.extension?.[1]?.extension?.filter((e) => e.url === 'telecom').map((e) => e.valueContactPoint)).toStrictEqual([
      { system: 'phone', value: '0808 808 4000' },
      { system: 'url', value: 'https://nationaldebtline.org' }
    ])
    expect(LOCAL_SERVICE_EXTENSION).toBe(`${SD}/triage-local-service`)
  })

  it('leaves out requester when there is none', () => {
    const { requester: _r, ...rest } = input(triage)
    expect('requester' in buildTriageTask(rest)).toBe(false)
  })
})

describe('buildTriageTask status per outcome', () => {
  it('puts a referral that needs information on hold, saying what is missing', () => {
    const triage = triageOf({ ...urgentFacts, employmentSituation: undefined, referralConsent: false })
    const task = buildTriageTask(input(triage))
    expect(task.status).toBe('on-hold')
    expect(task.businessStatus?.coding?.[0]).toMatchObject({ code: 'needs-information', display: 'More information needed' })
    expect(task.statusReason).toStrictEqual({ text: 'Missing: employment situation, referral consent' })
    expect('output' in task).toBe(false)
  })

  it('rejects a referral for someone ineligible whose coded risk screen rules risk out', () => {
    const task = buildTriageTask(input(triageOf({ ...urgentFacts, birthDate: '2012-01-01', indicators: ['no-risk-identified'] })))
    expect(task.status).toBe('rejected')
    expect(task.businessStatus?.coding?.[0]).toMatchObject({ code: 'ineligible', display: 'Not eligible' })
    expect(task.businessStatus?.text).toBe('under 16 (rule baseline/minimum-age); eligibility as at 2026-11-20, the day of triage (the referral gives no date of its own)')
    expect('output' in task).toBe(false)
  })

  it('completes a signpost-only triage', () => {
    const triage: TriageResult = {
      outcome: 'signpost-only',
      priority: 'routine',
      referral: true,
      outputs: [{ kind: 'signpost', code: 'debt-advice', display: 'Debt advice', rule: 'test/signpost', reason: 'money worries' }],
      missing: [],
      reasons: ['first reason', 'second reason'],
      rulesVersion: 'partnership/9.9.9',
      deliverable: false,
      summary: 'WorkWell suggests: Debt advice.'
    }
    const task = buildTriageTask(input(triage))
    expect(task.status).toBe('completed')
    expect(task.businessStatus).toStrictEqual({
      coding: [{ system: `${CS}/triage-outcome`, code: 'signpost-only', display: 'Signpost only' }],
      text: 'first reason; second reason'
    })
    expect(task.extension?.[0]?.valueString).toBe('partnership/9.9.9')
    expect(task.output).toStrictEqual([{
      extension: [{ url: `${SD}/triage-reason`, valueString: 'test/signpost: money worries' }],
      type: { coding: [{ system: `${CS}/triage-output`, code: 'signpost' }] },
      valueCodeableConcept: { coding: [{ system: `${CS}/signpost-type`, code: 'debt-advice', display: 'Debt advice' }] }
    }])
  })
})

describe('Task.status matches the outcome, and advice-only triage asks nothing of the partnership', () => {
  it('maps every outcome of a referral and of advice-only triage', () => {
    const table: Array<[TriageResult['outcome'], boolean, Task['status']]> = [
      ['eligible-refer', true, 'requested'],
      ['needs-information', true, 'on-hold'],
      ['signpost-only', true, 'completed'],
      ['ineligible', true, 'rejected'],
      ['eligible-refer', false, 'completed'],
      ['needs-information', false, 'completed'],
      ['signpost-only', false, 'completed'],
      ['ineligible', false, 'rejected'],
      ['clinical-review', true, 'requested'],
      ['clinical-review', false, 'requested']
    ]
    for (const [outcome, referral, status] of table) expect(taskStatus({ outcome, referral }), `${outcome}/${String(referral)}`).toBe(status)
    // Left open for a clinician: never closed by the machine, whatever the outcome.
    for (const [outcome, referral] of table) expect(taskStatus({ outcome, referral, review: 'for a clinician' }), `${outcome}/${String(referral)} open`).toBe('requested')
  })

  it('never leaves an advice-only Task requested or on hold, where a partnership worklist would show it as a referral', () => {
    for (const over of [{}, { employmentSituation: undefined }, { birthDate: '2012-01-01' }, { postcode: 'LS1 4AP', registeredPracticeOds: 'A83008' }]) {
      const task = buildTriageTask(input(triageOf({ ...urgentFacts, isReferral: false, referralConsent: false, ...over })))
      expect(['requested', 'on-hold', 'received', 'accepted'], JSON.stringify(over)).not.toContain(task.status)
    }
    const advised = buildTriageTask(input(triageOf({ ...urgentFacts, isReferral: false, referralConsent: false })))
    expect(advised.businessStatus?.coding?.[0]?.code).toBe('eligible-refer')
    expect(advised.status).toBe('completed')
  })
})

describe('the WorkWell CodeSystems the Task is coded from', () => {
  it('has exactly the outcomes triage returns, and every output type the Task uses', () => {
    const outcomes = new Set<string>()
    for (const over of [{}, { employmentSituation: undefined }, { birthDate: '2012-01-01' }, { postcode: 'LS1 4AP', registeredPracticeOds: 'A83008' }, { indicators: ['crisis'] }]) {
      const task = buildTriageTask(input(triageOf({ ...urgentFacts, ...over })))
      const coding = task.businessStatus?.coding?.[0]
      expect(coding?.system).toBe(TRIAGE_OUTCOME_CODE_SYSTEM.url)
      const concept = TRIAGE_OUTCOME_CODE_SYSTEM.concept.find((c) => c.code === coding?.code)
      expect(concept?.display, coding?.code).toBe(coding?.display)
      outcomes.add(coding?.code ?? '')
      for (const o of task.output ?? []) {
        expect(o.type?.coding?.[0]?.system).toBe(TRIAGE_OUTPUT_CODE_SYSTEM.url)
        expect(TRIAGE_OUTPUT_CODE_SYSTEM.concept.map((c) => c.code)).toContain(o.type?.coding?.[0]?.code)
      }
    }
    expect([...outcomes].sort()).toStrictEqual(TRIAGE_OUTCOME_CODE_SYSTEM.concept.map((c) => c.code).sort())
    expect(TRIAGE_OUTCOME_CODE_SYSTEM).toMatchObject({ resourceType: 'CodeSystem', status: 'active', content: 'complete', url: `${CS}/triage-outcome` })
  })
})
