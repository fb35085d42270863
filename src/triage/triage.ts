import { englandDate } from '../england-date.ts'
import type { ReferralFacts } from '../intake/referral-facts.ts'
import { ageOn, monthsSince } from './dates.ts'
import { footprint } from './footprint.ts'
import { matchContext, matches, type MatchContext } from './match.ts'
import type { OutputRule, PartnershipArea, ResolvedRules } from './rules.ts'
import { summarise, type SummaryCause } from './summary.ts'
import type { TriageOutput, TriageResult } from './triage-result.ts'

export { ageOn } from './dates.ts'

/** What a referral needs for triage to decide, with where the sender supplies it. */
const NEEDS = {
  situation: { what: 'employment situation', expression: 'ServiceRequest.supportingInfo' },
  birthDate: { what: 'date of birth', expression: 'Patient.birthDate' },
  condition: { what: 'health condition', expression: 'ServiceRequest.reasonCode' },
  stopped: { what: 'date work stopped', expression: 'ServiceRequest.supportingInfo' },
  postcode: { what: 'home postcode', expression: 'Patient.address.postalCode' },
  practice: { what: 'registered GP practice', expression: 'Patient.generalPractitioner' },
  consent: { what: 'referral consent', expression: 'ServiceRequest.supportingInfo' }
} as const

/** Collects outputs, each once; a service chosen by several rules keeps every reason. */
class Outputs {
  readonly list: TriageOutput[] = []
  readonly #rules: ResolvedRules
  readonly #ctx: MatchContext
  constructor (rules: ResolvedRules, ctx: MatchContext) {
    this.#rules = rules
    this.#ctx = ctx
  }

  add (kind: 'service' | 'signpost', code: string, rule: string, reason: string): void {
    const entry = (kind === 'service' ? this.#rules.catalogue.services : this.#rules.catalogue.signposts)[code]
    if (entry === undefined) return
    // Defence in depth behind the load-time check: CV help never reaches someone in work, nor
    // workplace adjustments someone out of work (docs/hazard-log.md H1).
    if (entry.onlyFor !== undefined && !this.#ctx.work.has(entry.onlyFor)) return
    const existing = this.list.find((o) => o.kind === kind && o.code === code)
    if (existing !== undefined) {
      existing.reason += `; also ${rule}: ${reason}`
      return
    }
    const output: TriageOutput = { kind, code, display: entry.display, rule, reason }
    const local = this.#rules.directory[code]
    if (local !== undefined) output.local = local
    this.list.push(output)
  }

  addRules (kind: 'service' | 'signpost', rules: OutputRule[]): void {
    for (const r of rules) if (r.code !== undefined && matches(r.when, this.#ctx)) this.add(kind, r.code, r.id, r.reason)
  }
}

/**
 * Decides eligibility, recommended services, signposts and priority for one referral or
 * triage request, under one partnership's resolved rules, on one day. Pure: the same facts,
 * rules and day always give the same result. The order of checks is a safety decision
 * (docs/hazard-log.md): age, then footprint, then missing facts, then the partnership's
 * employment criteria and exclusions, then consent. Nothing but age makes someone
 * "ineligible"; everything else that keeps a person out of this service signposts them on.
 */
export function triageReferral (facts: ReferralFacts, rules: ResolvedRules, area: PartnershipArea, on: Date): TriageResult {
  const ctx = matchContext(facts, rules)
  const out = new Outputs(rules, ctx)
  const reasons: string[] = []
  const finish = (outcome: TriageResult['outcome'], cause: SummaryCause, missing: TriageResult['missing'] = [], urgentAllowed = false): TriageResult => {
    const urgent = urgentAllowed ? rules.urgent.filter((r) => matches(r.when, ctx)) : []
    for (const r of urgent) reasons.push(`urgent: ${r.reason} (rule ${r.id})`)
    if (englandDate(on) > rules.reviewBy) {
      reasons.push(`rule set ${rules.version} passed its review date ${rules.reviewBy}: confirm this outcome with the local WorkWell team`)
    }
    const outputs = outcome === 'eligible-refer' || outcome === 'signpost-only' ? out.list : []
    return {
      outcome,
      priority: urgent.length > 0 ? 'urgent' : 'routine',
      outputs,
      missing,
      reasons,
      rulesVersion: rules.version,
      summary: summarise({ outcome, cause, facts, rules, outputs, missing, urgent: urgent.length > 0 })
    }
  }

  const age = facts.birthDate === undefined ? undefined : ageOn(facts.birthDate, on)
  if (age !== undefined && age < rules.minimumAge.years) {
    reasons.push(`under ${rules.minimumAge.years} (rule ${rules.minimumAge.id})`)
    return finish('ineligible', { kind: 'age' })
  }

  const where = footprint(facts, rules, area)
  if (where.status === 'outside') {
    const test = rules.footprint.tests.length > 1 ? 'neither lives in nor is registered with a GP practice in' : rules.footprint.tests[0] === 'residence' ? 'does not live in' : 'is not registered with a GP practice in'
    reasons.push(`${test} ${where.area}, which this service requires (rule ${rules.footprint.id})`)
    for (const s of rules.outOfArea.signposts) out.add('signpost', s, rules.outOfArea.id, 'outside this WorkWell service\'s area: WorkWell is expanding to every ICB in England')
    out.addRules('signpost', rules.signposts)
    return finish('signpost-only', { kind: 'out-of-area', area: where.area })
  }

  const missing: TriageResult['missing'] = []
  if (facts.employmentSituation === undefined || ctx.work.size === 0) missing.push(NEEDS.situation)
  if (facts.birthDate === undefined || age === undefined) missing.push(NEEDS.birthDate)
  if (facts.reasonCodes.length === 0 && facts.fitNote === undefined) missing.push(NEEDS.condition)
  if (where.status === 'unknown') {
    for (const t of where.missing) missing.push(t === 'residence' ? NEEDS.postcode : NEEDS.practice)
  }
  const { employment } = rules
  const capped = employment.maxMonthsOutOfWork !== undefined && facts.employmentSituation !== undefined && ctx.work.has('out-of-work') && employment.accepted.includes(facts.employmentSituation)
  const months = facts.dateWorkStopped === undefined ? undefined : monthsSince(facts.dateWorkStopped, on)
  if (capped && months === undefined) missing.push(NEEDS.stopped)
  const needConsent = facts.isReferral && !facts.referralConsent
  if (missing.length > 0) {
    // Everything missing is asked for at once, consent included, so the sender fixes it in one go.
    if (needConsent) missing.push(NEEDS.consent)
    reasons.push(`missing: ${missing.map((m) => m.what).join(', ')}`)
    return finish('needs-information', { kind: 'missing' }, missing, true)
  }

  const situation = facts.employmentSituation ?? ''
  if (!employment.accepted.includes(situation)) {
    reasons.push(`employment situation "${situation}" is outside this service's criteria (rule ${employment.id})`)
    return signpostOn(out, rules, employment.signposts, employment.id, finish, { kind: 'employment', situation })
  }
  if (capped && months !== undefined && employment.maxMonthsOutOfWork !== undefined && months >= employment.maxMonthsOutOfWork) {
    reasons.push(`out of work for ${months} months; this service takes people out of work for less than ${employment.maxMonthsOutOfWork} months (rule ${employment.id})`)
    return signpostOn(out, rules, employment.signposts, employment.id, finish, { kind: 'out-of-work-too-long', months, limit: employment.maxMonthsOutOfWork })
  }
  const excluded = rules.exclusions.filter((e) => ctx.indicators.has(e.indicator))
  if (excluded.length > 0) {
    for (const e of excluded) {
      reasons.push(`${e.reason} (rule ${e.id}, coded indicator ${e.indicator}): for review with the local WorkWell team, not an automatic refusal`)
      for (const s of e.signposts) out.add('signpost', s, e.id, e.reason)
    }
    out.addRules('signpost', rules.signposts)
    return finish('signpost-only', { kind: 'exclusion' })
  }
  if (needConsent) {
    reasons.push(`missing: ${NEEDS.consent.what}; a referral is sent only with the person's recorded consent`)
    return finish('needs-information', { kind: 'missing' }, [NEEDS.consent], true)
  }

  reasons.push(`aged ${rules.minimumAge.years} or over (rule ${rules.minimumAge.id})`)
  reasons.push(`${where.status === 'inside' && where.by === 'residence' ? 'lives in' : 'is registered with a GP practice in'} ${rules.footprint.subArea?.name ?? 'the area'} (rule ${rules.footprint.id})`)
  reasons.push(capped && months !== undefined
    ? `out of work for ${months} months, within the ${employment.maxMonthsOutOfWork ?? ''}-month limit (rule ${employment.id})`
    : `employment situation "${situation}" is within the criteria (rule ${employment.id})`)
  reasons.push(rules.basis === 'published'
    ? 'criteria: the partnership\'s published criteria over the national baseline'
    : 'criteria: the national baseline (the partnership has published no criteria of its own)')
  out.addRules('service', rules.services)
  out.addRules('signpost', rules.signposts)
  return finish('eligible-refer', { kind: 'eligible' }, [], true)
}

function signpostOn (
  out: Outputs, rules: ResolvedRules, signposts: string[], rule: string,
  finish: (o: TriageResult['outcome'], c: SummaryCause) => TriageResult, cause: SummaryCause
): TriageResult {
  for (const s of signposts) out.add('signpost', s, rule, 'other employment and skills support fits this situation better')
  out.addRules('signpost', rules.signposts)
  return finish('signpost-only', cause)
}
