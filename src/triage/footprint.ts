import type { ReferralFacts } from '../referral/referral-facts.ts'
import { postcodeDistrict } from '../routing/postcode.ts'
import type { FootprintTest, PartnershipArea, ResolvedRules } from './rules.ts'

/** What the footprint still needs: a test's fact, or confirmation of an address in a straddling district. */
export type FootprintNeed = FootprintTest | 'address-in-straddling-district'

export type FootprintDecision =
  | { status: 'inside', by: FootprintTest }
  | { status: 'outside', area: string }
  | { status: 'unknown', missing: FootprintNeed[] }

/**
 * The NHS pseudo-postcodes (ZZ99 3VZ no fixed abode, ZZ99 3WZ address not known, ZZ99 3CZ
 * overseas...): they say nothing about where the person lives (NHS Data Dictionary, postcode).
 */
export const isPseudoPostcode = (postcode: string): boolean => /^ZZ99/i.test(postcode.replace(/\s+/g, ''))

/**
 * Whether the person belongs to the partnership's footprint: living in it (home postcode
 * district) or registered with one of its GP practices, as the rules allow, within the
 * sub-area when the service covers only part of its area (as the pilot areas publish them). Being referred by a
 * practice in the area is not enough: routing may pick the partnership by the referrer alone.
 * Someone with no fixed abode (a ZZ99 pseudo-postcode) or no address is judged by registration
 * even where the rules test residence only, since residence cannot be tested for them; a
 * district that straddles the boundary never settles the area on its own (H15, H16).
 */
export function footprint (facts: ReferralFacts, rules: ResolvedRules, area: PartnershipArea): FootprintDecision {
  const { subArea } = rules.footprint
  const practices = new Set(subArea?.practices ?? area.practices)
  const districts = new Set(subArea?.postcodeDistricts ?? area.postcodeDistricts)
  const noAddress = facts.postcode === undefined || isPseudoPostcode(facts.postcode)
  const tests: FootprintTest[] = noAddress && !rules.footprint.tests.includes('registration') ? [...rules.footprint.tests, 'registration'] : rules.footprint.tests
  const district = facts.postcode === undefined || noAddress ? undefined : postcodeDistrict(facts.postcode)
  const straddles = district !== undefined && (area.straddlingDistricts ?? []).includes(district)
  if (tests.includes('residence') && district !== undefined && districts.has(district) && !straddles) return { status: 'inside', by: 'residence' }
  if (tests.includes('registration') && facts.registeredPracticeOds !== undefined && practices.has(facts.registeredPracticeOds)) {
    return { status: 'inside', by: 'registration' }
  }
  // Outside only when every test the rules use could be made and failed; otherwise ask for
  // what is missing rather than turn an eligible person away (docs/hazard-log.md H2).
  const missing: FootprintNeed[] = tests.filter((t) => (t === 'residence' ? district === undefined && !isPseudo(facts) : facts.registeredPracticeOds === undefined))
  if (tests.includes('residence') && straddles && districts.has(district)) missing.push('address-in-straddling-district')
  if (missing.length === 0) return { status: 'outside', area: areaName(rules, area) }
  return { status: 'unknown', missing }
}

/** A pseudo-postcode is an answer (no fixed abode), not a missing address: it is not asked for again. */
const isPseudo = (facts: ReferralFacts): boolean => facts.postcode !== undefined && isPseudoPostcode(facts.postcode)

/** The area in words: the sub-area's name, else "the <partnership> area". */
export function areaName (rules: ResolvedRules, area: PartnershipArea): string {
  return rules.footprint.subArea?.name ?? (area.name === undefined ? 'the partnership area' : `the ${area.name} area`)
}
