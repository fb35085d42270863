import type { Partnership } from '../routing/partnership.ts'
import type { ResolvedRules } from '../triage/rules.ts'
import type { Alert, RulesReview } from './alerts.ts'

/**
 * Each partnership's rule review date as the triage applies it: the earlier of its resolved
 * rule files' and its partnership.json's (the area decides eligibility as the rules do), with
 * its grace period; with a maximum age, also the day each of its directory entries was last
 * checked. Pure; worked out once at start from the loaded files.
 */
export function rulesReviews (rules: ReadonlyMap<string, ResolvedRules>, partnerships: ReadonlyMap<string, Partnership>, directoryMaxAgeDays?: number): RulesReview[] {
  return [...rules.values()].map((r) => {
    const area = partnerships.get(r.partnershipId)?.reviewBy
    const review: RulesReview = { partnershipId: r.partnershipId, reviewBy: area !== undefined && area < r.reviewBy ? area : r.reviewBy, graceDays: r.reviewGraceDays }
    if (directoryMaxAgeDays !== undefined) review.directory = { checks: directoryChecks(r), maxAgeDays: directoryMaxAgeDays }
    return review
  })
}

/** The check date of every directory entry the partnership's rules use (the schema requires one with a phone or address). */
function directoryChecks (r: ResolvedRules): Array<{ code: string, checked: string }> {
  return Object.entries(r.directory).flatMap(([code, entry]) => (entry.checked === undefined ? [] : [{ code, checked: entry.checked }]))
}

/** An alert as the console's operator home shows it: a symptom as an error, a cause as a warning. */
export function consoleAlert (a: Alert): { level: 'warning' | 'error', partnershipId?: string, text: string, since: string } {
  return { level: a.kind === 'symptom' ? 'error' : 'warning', ...(a.partnershipId === undefined ? {} : { partnershipId: a.partnershipId }), text: `${a.name}: ${a.detail}`, since: a.since }
}
