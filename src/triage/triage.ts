import { englandDate } from '../england-date.ts'
import type { ReferralFacts } from '../intake/referral-facts.ts'
import {
  BASELINE_RULES_VERSION, IN_WORK, MENTAL_HEALTH_REASONS, MINIMUM_AGE, MUSCULOSKELETAL_REASONS, OUT_OF_WORK,
  SERVICES, SIGNPOSTS, type ServiceCode, type SignpostCode
} from './baseline-rules.ts'
import type { TriageOutput, TriageResult } from './triage-result.ts'

/** Whole years between a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD) and a day. */
export function ageOn (birthDate: string, on: Date): number | undefined {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(birthDate)
  if (m === null) return undefined
  const y = Number(m[1])
  const mo = m[2] === undefined ? 1 : Number(m[2])
  const d = m[3] === undefined ? 1 : Number(m[3])
  const [ty, tm, td] = englandDate(on).split('-').map(Number) as [number, number, number]
  let age = ty - y
  if (tm < mo || (tm === mo && td < d)) age -= 1
  return age
}

/**
 * Decides eligibility, recommended services, signposts and priority for one referral.
 * Pure: the same facts on the same day always give the same result.
 */
export function triageReferral (facts: ReferralFacts, on: Date): TriageResult {
  const missing: TriageResult['missing'] = []
  if (facts.employmentSituation === undefined) {
    missing.push({ what: 'employment situation', expression: 'ServiceRequest.supportingInfo' })
  }
  if (facts.birthDate === undefined) {
    missing.push({ what: 'date of birth', expression: 'Patient.birthDate' })
  }
  if (facts.reasonCodes.length === 0 && facts.fitNote === undefined) {
    missing.push({ what: 'health condition', expression: 'ServiceRequest.reasonCode' })
  }
  if (facts.isReferral && !facts.referralConsent) {
    missing.push({ what: 'referral consent', expression: 'ServiceRequest.supportingInfo' })
  }

  const age = facts.birthDate === undefined ? undefined : ageOn(facts.birthDate, on)
  if (age !== undefined && age < MINIMUM_AGE) {
    return finish(facts, 'ineligible', [], [], [`under ${MINIMUM_AGE} (rule baseline/minimum-age)`])
  }
  if (missing.length > 0) {
    return finish(facts, 'needs-information', [], missing, [`missing: ${missing.map((m) => m.what).join(', ')}`])
  }

  const outputs: TriageOutput[] = []
  const service = (code: ServiceCode, rule: string, reason: string): void => {
    const existing = outputs.find((o) => o.kind === 'service' && o.code === code)
    // A service chosen by several rules keeps every reason, so the Task explains all of them.
    if (existing !== undefined) existing.reason += `; also ${rule}: ${reason}`
    else outputs.push({ kind: 'service', code, display: SERVICES[code], rule, reason })
  }
  const signpost = (code: SignpostCode, rule: string, reason: string): void => {
    if (!outputs.some((o) => o.kind === 'signpost' && o.code === code)) {
      outputs.push({ kind: 'signpost', code, display: SIGNPOSTS[code], rule, reason })
    }
  }
  const situation = facts.employmentSituation ?? ''
  const inWork = IN_WORK.has(situation)
  const outOfWork = OUT_OF_WORK.has(situation)

  service('work-health-assessment', 'baseline/core-offer', 'every eligible person gets a work and health assessment and action plan')
  service('health-coaching', 'baseline/core-offer', 'every participant has a work and health coach')
  if (facts.reasonCodes.some((c) => MENTAL_HEALTH_REASONS.has(c))) {
    service('mental-health-support', 'baseline/condition-mental-health', 'a mental health condition is the reason for referral')
  }
  if (facts.reasonCodes.some((c) => MUSCULOSKELETAL_REASONS.has(c))) {
    service('physiotherapy', 'baseline/condition-musculoskeletal', 'a musculoskeletal condition is the reason for referral')
    signpost('physical-activity', 'baseline/condition-musculoskeletal', 'physical activity helps recovery from musculoskeletal conditions')
  }
  if (inWork) {
    service('workplace-adjustments', 'baseline/in-work', 'in work: adjustments agreed with the employer can keep the job')
    if (situation === 'employed-off-sick' || facts.fitNote?.outcome === 'not-fit') {
      service('return-to-work-plan', 'baseline/in-work-off-sick', 'off work because of ill health: a return-to-work plan')
    }
  }
  const advice = facts.fitNote?.advice ?? []
  if (inWork && advice.length > 0) {
    service('workplace-adjustments', 'baseline/fit-note-advice', `fit note advises ${advice.join(', ')}`)
    if (advice.includes('amended-duties') || advice.includes('workplace-adaptations')) {
      service('occupational-therapy', 'baseline/fit-note-advice', 'fit note advises amended duties or workplace adaptations')
      signpost('access-to-work', 'baseline/fit-note-advice', 'Access to Work can fund workplace adaptations')
    }
  }
  if (outOfWork) {
    service('cv-interview-help', 'baseline/out-of-work', 'out of work: CV and interview help')
    signpost('debt-advice', 'baseline/out-of-work', 'loss of income: free debt advice')
    signpost('local-training', 'baseline/out-of-work', 'local training and skills support')
  }

  const urgent = situation === 'employed-off-sick' && facts.fitNote?.outcome === 'not-fit'
  return finish(facts, 'eligible-refer', outputs, [], ['meets the national baseline (adult, health condition, work situation known)'], urgent ? 'urgent' : 'routine')
}

function finish (
  facts: ReferralFacts,
  outcome: TriageResult['outcome'],
  outputs: TriageOutput[],
  missing: TriageResult['missing'],
  reasons: string[],
  priority: TriageResult['priority'] = 'routine'
): TriageResult {
  return { outcome, priority, outputs, missing, reasons, rulesVersion: BASELINE_RULES_VERSION, summary: summarise(facts, outcome, outputs, missing) }
}

function summarise (facts: ReferralFacts, outcome: TriageResult['outcome'], outputs: TriageOutput[], missing: TriageResult['missing']): string {
  switch (outcome) {
    case 'needs-information':
      return `WorkWell cannot decide yet: please send the ${missing.map((m) => m.what).join(', ')}.`
    case 'ineligible':
      return 'You are not eligible for WorkWell: it supports people aged 16 and over.'
    case 'signpost-only':
      return `WorkWell suggests: ${outputs.map((o) => o.display).join(', ')}.`
    case 'eligible-refer': {
      const services = outputs.filter((o) => o.kind === 'service').map((o) => o.display.toLowerCase())
      const signposts = outputs.filter((o) => o.kind === 'signpost').map((o) => o.display.toLowerCase())
      const referral = facts.isReferral
        ? 'You are eligible for WorkWell and have been referred.'
        : 'You are eligible for WorkWell; your GP can refer you if you agree.'
      return `${referral} Your local service can offer ${services.join(', ')}.${signposts.length > 0 ? ` You may also find these useful: ${signposts.join(', ')}.` : ''}`
    }
  }
}
