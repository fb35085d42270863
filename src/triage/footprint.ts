import type { ReferralFacts } from '../intake/referral-facts.ts'
import { postcodeDistrict } from '../routing/postcode.ts'
import type { FootprintTest, PartnershipArea, ResolvedRules } from './rules.ts'

export type FootprintDecision =
  | { status: 'inside', by: FootprintTest }
  | { status: 'outside', area: string }
  | { status: 'unknown', missing: FootprintTest[] }

/**
 * Whether the person belongs to the partnership's footprint: living in it (home postcode
 * district) or registered with one of its GP practices, as the rules allow, within the
 * sub-area when the service covers only part of its area (domain.md §1.3). Being referred by a
 * practice in the area is not enough: routing may pick the partnership by the referrer alone.
 */
export function footprint (facts: ReferralFacts, rules: ResolvedRules, area: PartnershipArea): FootprintDecision {
  const { tests, subArea } = rules.footprint
  const practices = new Set(subArea?.practices ?? area.practices)
  const districts = new Set(subArea?.postcodeDistricts ?? area.postcodeDistricts)
  const district = facts.postcode === undefined ? undefined : postcodeDistrict(facts.postcode)
  if (tests.includes('residence') && district !== undefined && districts.has(district)) return { status: 'inside', by: 'residence' }
  if (tests.includes('registration') && facts.registeredPracticeOds !== undefined && practices.has(facts.registeredPracticeOds)) {
    return { status: 'inside', by: 'registration' }
  }
  // Outside only when every test the rules use could be made and failed; otherwise ask for
  // what is missing rather than turn an eligible person away (docs/hazard-log.md H2).
  const missing = tests.filter((t) => (t === 'residence' ? district === undefined : facts.registeredPracticeOds === undefined))
  if (missing.length === 0) return { status: 'outside', area: areaName(rules, area) }
  return { status: 'unknown', missing }
}

/** The area in words: the sub-area's name, else "the <partnership> area". */
export function areaName (rules: ResolvedRules, area: PartnershipArea): string {
  return rules.footprint.subArea?.name ?? (area.name === undefined ? 'the partnership area' : `the ${area.name} area`)
}
