import { englandDate } from '../england-date.ts'
import type { ReferralFacts } from '../referral/referral-facts.ts'
import { ageRange, dayBounds, monthsRange, type Range } from './dates.ts'
import { areaName, footprint, isPseudoPostcode } from './footprint.ts'
import { matchContext, matches, type MatchContext } from './match.ts'
import type { HomeService } from './home-partnership.ts'
import type { LocalService, OutputRule, PartnershipArea, ResolvedRules } from './rules.ts'
import { summarise, type SummaryCause } from './summary.ts'
import type { TriageOutput, TriageResult } from './triage-result.ts'

export { ageOn } from './dates.ts'

/** Whether a range of possible values is all below a limit, all at or above it, or either side. */
function against (range: Range, limit: number): 'below' | 'at-or-above' | 'either' {
  if (range.most < limit) return 'below'
  if (range.least >= limit) return 'at-or-above'
  return 'either'
}

/**
 * True when any permitting referral consent covers the triage day in England: one with no
 * period, or a period that covers the day (an open end is open). A period that cannot be read
 * is not current: consent is never assumed (docs/hazard-log.md H3).
 */
function consentCurrent (facts: ReferralFacts, on: Date): boolean {
  const periods = facts.referralConsentPeriods
  if (periods === undefined) return true
  const day = englandDate(on)
  return periods.some((period) => {
    const start = period.start === undefined ? undefined : dayBounds(period.start)
    const end = period.end === undefined ? undefined : dayBounds(period.end)
    if ((period.start !== undefined && start === undefined) || (period.end !== undefined && end === undefined)) return false
    return (start === undefined || start.first <= day) && (end === undefined || day <= end.last)
  })
}

/**
 * The day eligibility is decided on: the referral's own date (authoredOn) when it has one and
 * it is not in the future, else the triage day. A re-triage days later (a BaRS update adding
 * consent) then judges age and time out of work as at the referral, not as at the update, and
 * says which date it used (docs/hazard-log.md H14).
 */
function asAtDay (facts: ReferralFacts, on: Date): { date: Date, reason: string } {
  const today = englandDate(on)
  const referred = facts.referralDate === undefined ? undefined : dayBounds(facts.referralDate)?.first
  if (referred === undefined || referred > today) return { date: on, reason: `eligibility as at ${today}, the day of triage (the referral gives no date of its own)` }
  // Noon UTC is the same calendar day in England whatever the season.
  return { date: new Date(`${referred}T12:00:00Z`), reason: referred === today ? `eligibility as at ${referred}, the referral date` : `eligibility as at ${referred}, the referral date (triaged on ${today})` }
}

/**
 * How far a failed registration test can be trusted: with no ODS practice file only the
 * practices listed in partnership.json were known, and the reason says so (H15).
 */
function practiceNote (facts: ReferralFacts, rules: ResolvedRules, area: PartnershipArea): string {
  if (facts.registeredPracticeOds === undefined || rules.footprint.subArea?.practices !== undefined || area.practiceSource === 'ods-file') return ''
  const count = area.practices.length
  return count === 0
    ? '; registration could not be checked: the partnership lists no GP practices and no ODS practice file is loaded'
    : `; registration was checked against the ${count} GP practice${count === 1 ? '' : 's'} listed for the partnership only (no ODS practice file is loaded), so an unlisted practice in the area is not recognised`
}

/** A YYYY-MM-DD day plus some days, as YYYY-MM-DD. */
function addDays (day: string, days: number): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

/** What a referral needs for triage to decide, with where the sender supplies it. */
const NEEDS = {
  situation: { what: 'employment situation', expression: 'ServiceRequest.supportingInfo' },
  birthDate: { what: 'date of birth', expression: 'Patient.birthDate' },
  fullBirthDate: { what: 'full date of birth (day, month and year)', expression: 'Patient.birthDate' },
  condition: { what: 'health condition', expression: 'ServiceRequest.reasonCode' },
  fitNoteOutcome: { what: 'fit-note outcome (not fit or may be fit)', expression: 'Observation.valueCodeableConcept' },
  stopped: { what: 'date work stopped', expression: 'ServiceRequest.supportingInfo' },
  fullStopped: { what: 'full date work stopped (day, month and year)', expression: 'ServiceRequest.supportingInfo' },
  postcode: { what: 'home postcode', expression: 'Patient.address.postalCode' },
  practice: { what: 'registered GP practice', expression: 'Patient.generalPractitioner' },
  straddling: { what: 'confirmation that the home address is inside the area (its postcode district straddles the boundary)', expression: 'Patient.address' },
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

  add (kind: 'service' | 'signpost', code: string, rule: string, reason: string, local?: LocalService): void {
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
    const found = local ?? this.#rules.directory[code]
    if (found !== undefined) output.local = found
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
 * "ineligible"; everything else that keeps a person out of this service signposts them on,
 * and anything triage cannot read for certain is asked for, never guessed.
 */
export function triageReferral (facts: ReferralFacts, rules: ResolvedRules, area: PartnershipArea, on: Date, home?: HomeService): TriageResult {
  const asAt = asAtDay(facts, on)
  // partnership.json decides eligibility too (practices, districts), so its version is recorded
  // with the rules' and its review date counts like theirs (docs/hazard-log.md H5).
  const version = area.version === undefined ? rules.version : `${rules.version}+${rules.partnershipId}/partnership/${area.version}`
  const reviewBy = area.reviewBy !== undefined && area.reviewBy < rules.reviewBy ? area.reviewBy : rules.reviewBy
  const ctx = matchContext(facts, rules)
  const out = new Outputs(rules, ctx)
  const reasons: string[] = []
  // A fit note that ended before the referral informs triage (its advice, its outcome) but
  // does not set priority: a 'not fit' note from 2024 is not today's urgency (H7, H11).
  const noteEnd = facts.fitNote?.end === undefined ? undefined : dayBounds(facts.fitNote.end)
  const noteEnded = noteEnd !== undefined && noteEnd.last < englandDate(asAt.date) && (facts.fitNote?.start === undefined || ctx.fitNoteDays !== undefined)
  const urgentCtx: MatchContext = noteEnded ? { ...ctx, fitNote: 'none', advice: new Set() } : ctx
  if (noteEnded) delete urgentCtx.fitNoteDays
  const consent = facts.isReferral && facts.referralConsent && consentCurrent(facts, on)
  const ruledOut = rules.clinicalReview.ruledOutBy.some((i) => ctx.indicators.has(i))
  const finish = (outcome: TriageResult['outcome'], cause: SummaryCause, missing: TriageResult['missing'] = [], urgentAllowed = false): TriageResult => {
    const urgent = urgentAllowed ? rules.urgent.filter((r) => matches(r.when, urgentCtx)) : []
    for (const r of urgent) reasons.push(`urgent: ${r.reason} (rule ${r.id})`)
    if (noteEnded) reasons.push(`the fit note ended on ${noteEnd.last}, before the referral: it informs the support offered but does not set priority`)
    if (urgentAllowed && urgentCtx.fitNote === 'not-fit' && urgentCtx.fitNoteDays === undefined && rules.urgent.some((r) => r.when.fitNoteLongerThanWeeks !== undefined)) {
      // The length of a 'not fit' period can make a referral urgent; one that cannot be read
      // must not pass silently as short (docs/hazard-log.md H7).
      reasons.push('the \'not fit\' fit note has no readable start and end date, so its length could not be used for priority: check it')
    }
    if (ctx.fitNote === 'may-be-fit' && ctx.advice.size === 0) {
      // 'May be fit' means fit with the advice given; with no box ticked the note gives none (H7).
      reasons.push('the \'may be fit\' fit note has no advice box ticked: ask the issuer what would help the person work')
    }
    reasons.push(asAt.reason)
    if (englandDate(on) > reviewBy) {
      reasons.push(`rule set ${version} passed its review date ${reviewBy}: confirm this outcome with the local WorkWell team`)
    }
    const review = cause.kind === 'clinical-review' || cause.kind === 'held'
      ? `for clinical review at the partnership: ${cause.because}`
      : (outcome === 'signpost-only' || outcome === 'ineligible') && facts.isReferral && !ruledOut
          // The machine closes a referral only when coded facts rule risk out; free text is
          // never read for meaning, so without a coded risk screen a clinician closes it (H4).
          ? `not closed by machine: the coded facts do not rule out risk (no coded risk screen, rule ${rules.clinicalReview.id}); a clinician at the partnership reviews and closes it`
          : undefined
    const outputs = outcome === 'needs-information' || outcome === 'ineligible' ? [] : out.list
    const result: TriageResult = {
      outcome,
      priority: outcome === 'clinical-review' || urgent.length > 0 ? 'urgent' : 'routine',
      referral: facts.isReferral,
      outputs,
      missing,
      reasons,
      rulesVersion: version,
      deliverable: (outcome === 'eligible-refer' || outcome === 'clinical-review') && consent,
      summary: summarise({ outcome, cause, facts, rules, outputs, missing, urgent: urgent.length > 0 })
    }
    if (review !== undefined) result.review = review
    return result
  }
  const consentMissing = (): TriageResult['missing'] => facts.isReferral && !consent ? [NEEDS.consent] : []

  // Coded risk comes first, before age, area or any missing detail: whatever else is true, a
  // clinician at the partnership sees it and acts (docs/hazard-log.md H4).
  const risks = rules.clinicalReview.indicators.filter((i) => ctx.indicators.has(i))
  if (risks.length > 0) {
    for (const i of risks) reasons.push(`coded risk indicator ${i}: a clinician at the partnership must review this referral (rule ${rules.clinicalReview.id})`)
    // A partnership exclusion on the same code still names its signposts for the clinician.
    for (const e of rules.exclusions.filter((x) => risks.includes(x.indicator))) for (const sp of e.signposts) out.add('signpost', sp, e.id, e.reason)
    const missing = consentMissing()
    if (missing.length > 0) reasons.push('missing: referral consent, so the referral waits in the partnership\'s worklist and is not sent on')
    return finish('clinical-review', { kind: 'clinical-review', because: `coded risk: ${risks.join(', ')}` }, missing)
  }

  // Past its review date by more than the grace period, a rule set no longer decides: the
  // referral is kept, held for a clinician at the partnership, never turned away (H5).
  const holdFrom = addDays(reviewBy, rules.reviewGraceDays)
  if (englandDate(on) > holdFrom) {
    reasons.push(`held: rule set ${version} passed its review date ${reviewBy} more than ${rules.reviewGraceDays} days ago, so triage does not decide until it is reviewed`)
    return finish('needs-information', { kind: 'held', because: `the rule set passed its review date ${reviewBy}; triage is held until it is reviewed` }, consentMissing())
  }

  const minimumAge = rules.minimumAge.years
  const age = facts.birthDate === undefined ? undefined : ageRange(facts.birthDate, asAt.date)
  const ageAgainst = age === undefined ? undefined : against(age, minimumAge)
  if (ageAgainst === 'below') {
    reasons.push(`under ${minimumAge} (rule ${rules.minimumAge.id})`)
    return finish('ineligible', { kind: 'age' })
  }

  const where = footprint(facts, rules, area)
  if (where.status === 'outside') {
    const noAddress = facts.postcode === undefined || isPseudoPostcode(facts.postcode)
    const test = noAddress
      ? 'has no fixed abode or home address to test, and is not registered with a GP practice in'
      : rules.footprint.tests.length > 1 ? 'neither lives in nor is registered with a GP practice in' : rules.footprint.tests[0] === 'residence' ? 'does not live in' : 'is not registered with a GP practice in'
    reasons.push(`${test} ${where.area}, which this service requires (rule ${rules.footprint.id})${practiceNote(facts, rules, area)}`)
    // A partnership's own out-of-area signposts (BSOL: its team, for people in Birmingham and
    // Solihull outside the pilot PCNs) are for people inside its whole area; anyone outside
    // that is pointed to their own area's WorkWell, never back to this one (H12).
    const whole = rules.footprint.subArea === undefined ? where : footprint(facts, { ...rules, footprint: { ...rules.footprint, subArea: undefined } }, area)
    const rule = whole.status === 'outside' ? rules.outOfPartnership : rules.outOfArea
    // Name the WorkWell service of the pilot the person does belong to, when one does (H9).
    const ownArea = home === undefined ? undefined : { ...home.service, text: `The WorkWell service for the area the person lives or is registered in${home.service.text === undefined ? '' : `: ${home.service.text}`}` }
    for (const s of rule.signposts) {
      out.add('signpost', s, rule.id, home === undefined
        ? 'outside this WorkWell service\'s area: WorkWell is expanding to every ICB in England'
        : `outside this WorkWell service's area: the person's own GP practice or home is in the ${home.partnershipId} WorkWell area`, s === 'own-area-workwell' ? ownArea : undefined)
    }
    out.addRules('signpost', rules.signposts)
    return finish('signpost-only', { kind: 'out-of-area', area: where.area })
  }

  const missing: TriageResult['missing'] = []
  const notes: string[] = []
  if (facts.employmentSituation === undefined || ctx.work.size === 0) missing.push(NEEDS.situation)
  // Current records that disagree are asked about, never settled by picking one (H17).
  if (facts.conflicts !== undefined && facts.conflicts.length > 0) notes.push(`the current records disagree: ${facts.conflicts.join(', ')}`)
  if (ageAgainst === undefined) missing.push(NEEDS.birthDate)
  if (ageAgainst === 'either') {
    // A partial date of birth (a year, or a year and month) that could fall either side of
    // the minimum age: ask for the full date rather than accept or turn away (H6).
    missing.push(NEEDS.fullBirthDate)
    notes.push(`the date of birth is partial and could be either side of the minimum age ${minimumAge} (rule ${rules.minimumAge.id})`)
  }
  if (facts.reasonCodes.length === 0 && facts.fitNote === undefined) missing.push(NEEDS.condition)
  // A fit note whose outcome value and eMED3 code disagree: 'not fit' and 'may be fit' lead to
  // different support and priority, so ask rather than pick one (H7).
  if (facts.fitNote !== undefined && facts.fitNote.outcome === undefined) missing.push(NEEDS.fitNoteOutcome)
  if (where.status === 'unknown') {
    for (const t of where.missing) missing.push(t === 'residence' ? NEEDS.postcode : t === 'registration' ? NEEDS.practice : NEEDS.straddling)
  }
  const { employment } = rules
  const limit = employment.maxMonthsOutOfWork
  // Someone who has never worked has no date work stopped: a time-out-of-work limit cannot apply.
  const capped = limit !== undefined && facts.employmentSituation !== undefined && ctx.work.has('out-of-work') && !ctx.work.has('never-worked') && employment.accepted.includes(facts.employmentSituation)
  const months = facts.dateWorkStopped === undefined ? undefined : monthsRange(facts.dateWorkStopped, asAt.date)
  const monthsAgainst = months === undefined || limit === undefined ? undefined : against(months, limit)
  if (capped && (monthsAgainst === undefined || monthsAgainst === 'either')) {
    missing.push(monthsAgainst === 'either' ? NEEDS.fullStopped : NEEDS.stopped)
    if (monthsAgainst === 'either') notes.push(`the date work stopped is partial and could be either side of the ${limit ?? ''}-month limit (rule ${employment.id})`)
  }
  const needConsent = facts.isReferral && !consent
  const consentNote = facts.isReferral && facts.referralConsent && !consent
    ? 'no referral consent\'s period covers today'
    : undefined
  if (missing.length > 0) {
    // Everything missing is asked for at once, consent included, so the sender fixes it in one go.
    if (needConsent) missing.push(NEEDS.consent)
    if (needConsent && consentNote !== undefined) notes.push(consentNote)
    reasons.push(`missing: ${missing.map((m) => m.what).join(', ')}`, ...notes)
    return finish('needs-information', { kind: 'missing' }, missing, true)
  }

  const situation = facts.employmentSituation ?? ''
  if (!employment.accepted.includes(situation)) {
    reasons.push(`employment situation "${situation}" is outside this service's criteria (rule ${employment.id})`)
    return signpostOn(out, rules, employment.signposts, employment.id, finish, { kind: 'employment', situation })
  }
  if (capped && months !== undefined && limit !== undefined && monthsAgainst === 'at-or-above') {
    reasons.push(`out of work for ${months.least} months; this service takes people out of work for less than ${limit} months (rule ${employment.id})`)
    return signpostOn(out, rules, employment.signposts, employment.id, finish, { kind: 'out-of-work-too-long', months: months.least, limit })
  }
  const excluded = rules.exclusions.filter((e) => ctx.indicators.has(e.indicator))
  if (excluded.length > 0) {
    // An exclusion is a clinician's decision, never the machine's: the Task goes to clinical
    // review at the partnership, urgent, with the signposts the rule names (H4).
    for (const e of excluded) {
      reasons.push(`${e.reason} (rule ${e.id}, coded indicator ${e.indicator}): for clinical review at the partnership, not an automatic refusal`)
      for (const s of e.signposts) out.add('signpost', s, e.id, e.reason)
    }
    out.addRules('signpost', rules.signposts)
    const missing = consentMissing()
    if (missing.length > 0) reasons.push('missing: referral consent, so the referral waits in the partnership\'s worklist and is not sent on')
    return finish('clinical-review', { kind: 'clinical-review', because: excluded.map((e) => e.reason).join('; ') }, missing)
  }
  if (needConsent) {
    reasons.push(`missing: ${NEEDS.consent.what}; a referral is sent only with the person's recorded consent`)
    if (consentNote !== undefined) reasons.push(consentNote)
    return finish('needs-information', { kind: 'missing' }, [NEEDS.consent], true)
  }

  reasons.push(`aged ${minimumAge} or over (rule ${rules.minimumAge.id})`)
  reasons.push(`${where.status === 'inside' && where.by === 'residence' ? 'lives in' : 'is registered with a GP practice in'} ${areaName(rules, area)} (rule ${rules.footprint.id})`)
  reasons.push(capped && months !== undefined
    ? `out of work for ${months.most} months, within the ${limit ?? ''}-month limit (rule ${employment.id})`
    : `employment situation "${situation}" is within the criteria (rule ${employment.id})`)
  reasons.push(rules.basis === 'published'
    ? 'criteria: the partnership\'s published criteria over the national baseline'
    : 'criteria: the national baseline (no criteria of the partnership\'s own are encoded; its rule file says why)')
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
