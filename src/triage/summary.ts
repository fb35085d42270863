import type { ReferralFacts } from '../referral/referral-facts.ts'
import type { LocalService, ResolvedRules } from './rules.ts'
import type { TriageOutput, TriageResult } from './triage-result.ts'

/** Why triage ended where it did, in terms the summary can explain to the patient. */
export type SummaryCause =
  | { kind: 'eligible' }
  | { kind: 'missing' }
  | { kind: 'age' }
  | { kind: 'out-of-area', area: string }
  | { kind: 'employment', situation: string }
  | { kind: 'out-of-work-too-long', months: number, limit: number }
  | { kind: 'clinical-review', because: string }
  | { kind: 'held', because: string }

export interface SummaryInput {
  outcome: TriageResult['outcome']
  cause: SummaryCause
  facts: ReferralFacts
  rules: ResolvedRules
  outputs: TriageOutput[]
  missing: TriageResult['missing']
  urgent: boolean
}

/** "Debt advice (National Debtline, 0808 808 4000)": the name and the first way to reach it. */
export function withContact (display: string, local: LocalService | undefined): string {
  if (local === undefined) return display
  const how = local.phone ?? local.url
  return `${display} (${local.name}${how === undefined ? '' : `, ${how}`})`
}

const list = (outputs: TriageOutput[]): string => outputs.map((o) => withContact(o.display, o.local)).join('; ')

/** The support length that applies to the person: in work, or looking for work (NCL publishes both). */
function supportLength (rules: ResolvedRules, situation: string | undefined): string {
  const s = rules.supportLength
  if (s === undefined || situation === undefined) return ''
  const inWork = (rules.groups.work['in-work'] ?? []).includes(situation)
  const weeks = inWork ? s.inWorkWeeks : s.seekingWorkWeeks
  return weeks === undefined ? '' : ` Support lasts up to ${weeks} weeks${inWork ? ' while in work' : ' while looking for work'}.`
}

/**
 * A short plain-English summary a clinician can read to the patient: the outcome, what is
 * offered and how to reach it, or exactly what is still needed. No codes, no rule ids.
 */
export function summarise (input: SummaryInput): string {
  const { cause, rules, outputs } = input
  const service = rules.directory['work-health-assessment']?.name ?? 'the local WorkWell service'
  const signposts = outputs.filter((o) => o.kind === 'signpost')
  const also = signposts.length === 0 ? '' : ` You may also find these useful: ${list(signposts)}.`
  switch (cause.kind) {
    case 'missing':
      return `WorkWell cannot decide yet: please send the ${input.missing.map((m) => m.what).join(', ')}.`
    case 'age':
      return `You are not eligible for WorkWell: it supports people aged ${rules.minimumAge.years} and over.`
    case 'out-of-area':
      return `${service} supports people who live in ${rules.footprint.tests.includes('registration') ? 'or are registered with a GP practice in ' : ''}${cause.area}, so it cannot take this referral.${also}`
    case 'employment':
      return `${service} does not cover your current work situation, but other support can help.${also}`
    case 'out-of-work-too-long':
      return `${service} supports people who have been out of work for less than ${cause.limit} months, so it cannot take this referral, but other support can help.${also}`
    case 'held':
      return `WorkWell cannot decide yet: a clinician at ${service} will look at this ${input.facts.isReferral ? 'referral' : 'request'} while the local criteria are reviewed.`
    case 'clinical-review':
      return `A clinician at ${service} will look at this ${input.facts.isReferral ? 'referral' : 'request'} urgently and talk through with you, or your referrer, what support is right.${input.missing.length > 0 ? ` Please send the ${input.missing.map((m) => m.what).join(', ')}.` : ''}${also}`
    case 'eligible': {
      const services = outputs.filter((o) => o.kind === 'service').map((o) => o.display)
      const referral = input.facts.isReferral
        ? `You are eligible for WorkWell and have been referred to ${service}.`
        : `You are eligible for WorkWell; your GP can refer you to ${service} if you agree.`
      const soon = input.urgent ? ' The referral is marked urgent, so they will aim to contact you soon.' : ''
      return `${referral} It can offer: ${services.join('; ')}.${supportLength(rules, input.facts.employmentSituation)}${soon}${also}`
    }
  }
}
