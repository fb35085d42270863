import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ReferralFacts } from '../../../src/referral/referral-facts.ts'
import { loadOdsPractices } from '../../../src/routing/ods-practices.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'
import { buildRoutingIndex, routeReferral } from '../../../src/routing/route-referral.ts'
import { loadTriageRules } from '../../../src/triage/load-triage-rules.ts'
import { triageRouted } from '../../../src/triage/triage-routed.ts'
import { facts, MAPPINGS, ON, OUT_POSTCODE, OUT_PRACTICE } from './rules-fixture.ts'

/**
 * Area by authoritative data: the ODS practice file when configured (else the listed practices,
 * said so in the reason), no fixed abode and no address judged by registration, and districts
 * that straddle a boundary never settling the area on their own.
 */
const ods = await loadOdsPractices(path.resolve(MAPPINGS, '../fixtures/ods/epraccur-sample.csv'))
const listed = await loadPartnerships(MAPPINGS)
const withOds = await loadPartnerships(MAPPINGS, {}, ods)
const rules = await loadTriageRules(MAPPINGS, listed.keys())

function run (partnership: string, over: Partial<ReferralFacts>, useOds: boolean): ReturnType<typeof triageRouted> {
  const all = useOds ? withOds : listed
  const p = all.get(partnership)
  if (p === undefined) throw new Error(partnership)
  return triageRouted(facts(over), p, buildRoutingIndex(all.values()), rules, ON)
}

const NCL_UNLISTED = 'Y09901'
const NFA = 'ZZ99 3VZ'

interface Row { name: string, partnership: string, ods: boolean, facts: Partial<ReferralFacts>, outcome: string, reason?: string, missing?: string }

const rows: Row[] = [
  { name: 'lives outside London, registered at an NCL practice the file lists: eligible (ODS file)', partnership: 'north-central-london', ods: true, facts: { postcode: OUT_POSTCODE, registeredPracticeOds: NCL_UNLISTED }, outcome: 'eligible-refer', reason: 'is registered with a GP practice in' },
  { name: 'the same with no ODS file: signposted, and the reason says only listed practices were checked', partnership: 'north-central-london', ods: false, facts: { postcode: OUT_POSTCODE, registeredPracticeOds: NCL_UNLISTED, indicators: ['no-risk-identified'] }, outcome: 'signpost-only', reason: 'listed for the partnership only (no ODS practice file is loaded)' },
  { name: 'a closed practice in the file does not count', partnership: 'north-central-london', ods: true, facts: { postcode: OUT_POSTCODE, registeredPracticeOds: 'Y09902', indicators: ['no-risk-identified'] }, outcome: 'signpost-only' },
  { name: 'no fixed abode (ZZ99 3VZ), registered at an LSC practice: decided by registration, not out of area', partnership: 'lancashire-and-south-cumbria', ods: true, facts: { postcode: NFA, registeredPracticeOds: 'Y09001', referringPracticeOds: 'Y09001' }, outcome: 'eligible-refer', reason: 'is registered with a GP practice in' },
  { name: 'no address at all, registered at an LSC practice: decided by registration', partnership: 'lancashire-and-south-cumbria', ods: true, facts: { postcode: undefined, registeredPracticeOds: 'Y09001', referringPracticeOds: 'Y09001' }, outcome: 'eligible-refer' },
  { name: 'no fixed abode in LSC with no practice data: says registration could not be checked', partnership: 'lancashire-and-south-cumbria', ods: false, facts: { postcode: NFA, registeredPracticeOds: 'Y09001', referringPracticeOds: 'Y09001' }, outcome: 'signpost-only', reason: 'registration could not be checked' },
  { name: 'no fixed abode, registered at a listed NCL practice: eligible', partnership: 'north-central-london', ods: false, facts: { postcode: NFA, registeredPracticeOds: 'F83674' }, outcome: 'eligible-refer' },
  { name: 'no fixed abode is never asked for a postcode', partnership: 'north-central-london', ods: false, facts: { postcode: NFA, registeredPracticeOds: undefined }, outcome: 'needs-information', missing: 'registered GP practice' },
  { name: 'BL7 straddles Greater Manchester and Blackburn with Darwen: registered elsewhere, the address is asked about', partnership: 'greater-manchester', ods: false, facts: { postcode: 'BL7 9AA', registeredPracticeOds: OUT_PRACTICE }, outcome: 'needs-information', missing: 'confirmation that the home address is inside the area' },
  { name: 'BL7, registered at a Greater Manchester practice: decided by registration', partnership: 'greater-manchester', ods: true, facts: { postcode: 'BL7 9AA', registeredPracticeOds: 'Y09903' }, outcome: 'eligible-refer' },
  { name: 'N1 straddles Islington and Hackney: registered elsewhere, asked', partnership: 'north-central-london', ods: false, facts: { postcode: 'N1 9AA', registeredPracticeOds: OUT_PRACTICE }, outcome: 'needs-information', missing: 'confirmation that the home address is inside the area' },
  { name: 'HA8 straddles Barnet and Harrow: asked', partnership: 'north-central-london', ods: false, facts: { postcode: 'HA8 7AA', registeredPracticeOds: OUT_PRACTICE }, outcome: 'needs-information', missing: 'confirmation that the home address is inside the area' },
  { name: 'PE9 straddles Rutland and Lincolnshire: asked', partnership: 'leicester-leicestershire-and-rutland', ods: false, facts: { postcode: 'PE9 1AA', registeredPracticeOds: OUT_PRACTICE }, outcome: 'needs-information', missing: 'confirmation that the home address is inside the area' },
  { name: 'LA2 in residence-only LSC: asked, whatever the practice', partnership: 'lancashire-and-south-cumbria', ods: true, facts: { postcode: 'LA2 6AA', registeredPracticeOds: 'Y09001' }, outcome: 'needs-information', missing: 'confirmation that the home address is inside the area' }
]

describe('the area check', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const result = run(row.partnership, row.facts, row.ods)
    expect(result.outcome).toBe(row.outcome)
    if (row.reason !== undefined) expect(result.reasons.join(' | ')).toContain(row.reason)
    if (row.missing !== undefined) expect(result.missing.map((m) => m.what).join(' | ')).toContain(row.missing)
    if (row.facts.postcode === NFA) expect(result.missing.map((m) => m.what)).not.toContain('home postcode')
  })

  it('routes a referral from a practice only the ODS file knows', () => {
    const input = { referringPracticeOds: NCL_UNLISTED, postcode: OUT_POSTCODE }
    expect(routeReferral(input, buildRoutingIndex(listed.values()), ON).ok).toBe(false)
    const routed = routeReferral(input, buildRoutingIndex(withOds.values()), ON)
    expect(routed.ok && routed.partnership.id).toBe('north-central-london')
  })

  it('keeps a listed practice with the partnership that lists it, and marks where the list came from', () => {
    expect(withOds.get('north-central-london')?.practices.filter((c) => c === 'F83674')).toHaveLength(1)
    expect(withOds.get('north-central-london')?.practiceSource).toBe('ods-file')
    expect(listed.get('north-central-london')?.practiceSource).toBe('listed')
    expect(withOds.get('north-central-london')?.practices).not.toContain('Y09902')
  })
})
