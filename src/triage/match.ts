import type { ReferralFacts } from '../referral/referral-facts.ts'
import { daysBetween } from './dates.ts'
import type { ResolvedRules, RuleCondition } from './rules.ts'

/** The facts a rule condition is matched against, derived once per triage. */
export interface MatchContext {
  situation?: string
  /** employment groups the situation belongs to (e.g. in-work) */
  work: Set<string>
  /** condition groups of the reason codes (e.g. mental-health) */
  conditions: Set<string>
  fitNote: 'not-fit' | 'may-be-fit' | 'none' | 'unknown'
  advice: Set<string>
  /** length of the fit-note period in days, when both ends are given */
  fitNoteDays?: number
  indicators: Set<string>
}

/** Builds the match context from the referral facts and the rules' groups. Pure. */
export function matchContext (facts: ReferralFacts, rules: ResolvedRules): MatchContext {
  const situation = facts.employmentSituation
  const work = new Set(Object.entries(rules.groups.work).filter(([, members]) => situation !== undefined && members.includes(situation)).map(([g]) => g))
  const conditions = new Set(Object.entries(rules.groups.conditions).filter(([, members]) => facts.reasonCodes.some((c) => members.includes(c))).map(([g]) => g))
  const note = facts.fitNote
  const ctx: MatchContext = {
    work,
    conditions,
    fitNote: note === undefined ? 'none' : note.outcome ?? 'unknown',
    advice: new Set(note?.advice ?? []),
    indicators: new Set(facts.indicators)
  }
  if (situation !== undefined) ctx.situation = situation
  const days = note?.start === undefined || note.end === undefined ? undefined : daysBetween(note.start, note.end)
  if (days !== undefined) ctx.fitNoteDays = days
  return ctx
}

const anyOf = (wanted: readonly string[] | undefined, have: (v: string) => boolean): boolean => wanted === undefined || wanted.some(have)

/** True when every key of the condition matches (AND), each by any of its values (OR). */
export function matches (when: RuleCondition, ctx: MatchContext): boolean {
  return anyOf(when.work, (g) => ctx.work.has(g)) &&
    anyOf(when.situations, (s) => s === ctx.situation) &&
    anyOf(when.conditions, (c) => ctx.conditions.has(c)) &&
    anyOf(when.fitNote, (f) => f === ctx.fitNote) &&
    anyOf(when.fitNoteAdvice, (a) => ctx.advice.has(a)) &&
    anyOf(when.indicators, (i) => ctx.indicators.has(i)) &&
    // The period is counted from start to end date; "longer than 4 weeks" means more than 28 days.
    (when.fitNoteLongerThanWeeks === undefined || (ctx.fitNoteDays !== undefined && ctx.fitNoteDays > when.fitNoteLongerThanWeeks * 7))
}
