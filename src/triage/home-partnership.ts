import type { ReferralFacts } from '../referral/referral-facts.ts'
import { routeReferral, type RoutingIndex } from '../routing/route-referral.ts'
import type { LocalService, ResolvedRules } from './rules.ts'

/** The WorkWell service of the partnership a person belongs to by their own GP practice or home. */
export interface HomeService {
  partnershipId: string
  service: LocalService
}

/**
 * The pilot partnership a person belongs to by their registered GP practice, else their home
 * postcode: never by the referring practice, which is how a referral can reach a partnership
 * the person does not belong to (docs/hazard-log.md H9). Undefined when that is the partnership
 * already triaging, or no pilot partnership covers them. Pure.
 */
export function homeService (facts: ReferralFacts, routing: RoutingIndex, rules: ReadonlyMap<string, ResolvedRules>, current: string, on: Date): HomeService | undefined {
  const route = routeReferral({
    ...(facts.registeredPracticeOds === undefined ? {} : { registeredPracticeOds: facts.registeredPracticeOds }),
    ...(facts.postcode === undefined ? {} : { postcode: facts.postcode })
  }, routing, on)
  if (!route.ok || route.partnership.id === current) return undefined
  const service = rules.get(route.partnership.id)?.directory['work-health-assessment']
  return service === undefined ? undefined : { partnershipId: route.partnership.id, service }
}
