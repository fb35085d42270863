import type { ReferralFacts } from '../referral/referral-facts.ts'
import type { Partnership } from '../routing/partnership.ts'
import type { RoutingIndex } from '../routing/route-referral.ts'
import { homeService } from './home-partnership.ts'
import type { ResolvedRules } from './rules.ts'
import { triageReferral } from './triage.ts'
import type { TriageResult } from './triage-result.ts'

/**
 * Triage under the rules of the partnership a referral routed to, naming the person's own
 * pilot when that is another one (docs/hazard-log.md H9). Shared by intake, BaRS changes and
 * `workwell triage`, so all three decide alike. Pure.
 *
 * @throws Error when no rules were loaded for the partnership: loadTriageRules loads a set
 * for every partnership or stops the start, so this is a bug, not a bad referral
 */
export function triageRouted (facts: ReferralFacts, partnership: Partnership, routing: RoutingIndex, rules: ReadonlyMap<string, ResolvedRules>, on: Date): TriageResult {
  const own = rules.get(partnership.id)
  if (own === undefined) throw new Error(`no triage rules loaded for partnership ${partnership.id}`)
  return triageReferral(facts, own, partnership, on, homeService(facts, routing, rules, partnership.id, on))
}

/**
 * Whether a triaged referral goes to its partnership: an eligible referral, or one for clinical
 * review (not advice-only triage), that the patient consented to (docs/hazard-log.md H3).
 */
export function isDeliverable (triage: TriageResult, facts: ReferralFacts): boolean {
  return triage.deliverable && facts.isReferral && facts.referralConsent
}
