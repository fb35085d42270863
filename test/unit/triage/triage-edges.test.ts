import { describe, expect, it } from 'vitest'
import { triageReferral } from '../../../src/triage/triage.ts'
import type { PartnershipArea } from '../../../src/triage/rules.ts'
import { facts, loadReal, ON, OUT_POSTCODE, OUT_PRACTICE } from './rules-fixture.ts'

// Edges of the triage decision that the tables do not reach (docs/hazard-log.md H3, H14, H15)
const loaded = await loadReal()
const rules = loaded.rules.get('north-central-london')
const ncl = loaded.partnerships.get('north-central-london')
if (rules === undefined || ncl === undefined) throw new Error('no NCL')

describe('consent periods that cannot be read', () => {
  it('never assumes consent from a period whose start or end is not a date', () => {
    for (const period of [{ start: 'soon' }, { end: 'later' }]) {
      const r = triageReferral(facts({ referralConsentPeriods: [period] }), rules, ncl, ON)
      expect(r.outcome, JSON.stringify(period)).toBe('needs-information')
      expect(r.missing.map((m) => m.what)).toContain('referral consent')
    }
    expect(triageReferral(facts({ referralConsentPeriods: [{ start: '2026-01-01' }] }), rules, ncl, ON).outcome).toBe('eligible-refer')
  })
})

describe('the day eligibility is decided on', () => {
  it('is the triage day when the referral date cannot be read', () => {
    const r = triageReferral(facts({ referralDate: 'last week' }), rules, ncl, ON)
    expect(r.reasons).toContain('eligibility as at 2026-11-20, the day of triage (the referral gives no date of its own)')
  })

  it('says only "the referral date" when the referral was made on the triage day', () => {
    const r = triageReferral(facts({ referralDate: '2026-11-20' }), rules, ncl, ON)
    expect(r.reasons).toContain('eligibility as at 2026-11-20, the referral date')
    expect(triageReferral(facts({ referralDate: '2026-11-18' }), rules, ncl, ON).reasons).toContain('eligibility as at 2026-11-18, the referral date (triaged on 2026-11-20)')
  })
})

describe('how far a failed registration test can be trusted', () => {
  const away = facts({ postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE })
  const outside = (area: PartnershipArea, f = away): string => triageReferral(f, rules, area, ON).reasons.find((r) => r.includes('which this service requires')) ?? ''

  it('says the listed practices were all that could be checked, by count', () => {
    expect(outside({ ...ncl, practices: ['F83674'] })).toMatch(/; registration was checked against the 1 GP practice listed for the partnership only \(no ODS practice file is loaded\), so an unlisted practice in the area is not recognised$/)
    expect(outside({ ...ncl, practices: ['F83674', 'F83680'] })).toContain('against the 2 GP practices listed')
    expect(outside({ ...ncl, practices: [] })).toMatch(/; registration could not be checked: the partnership lists no GP practices and no ODS practice file is loaded$/)
  })

  it('adds nothing when the ODS file was loaded, a sub-area lists its practices, or the person names no practice', () => {
    expect(outside({ ...ncl, practiceSource: 'ods-file' })).not.toContain('; registration')
    const subArea = { ...rules, footprint: { ...rules.footprint, subArea: { name: 'the pilot PCNs', practices: ['F83674'] } } }
    expect(triageReferral(away, subArea, ncl, ON).reasons.join(' ')).not.toContain('; registration')
    const residenceOnly = { ...rules, footprint: { ...rules.footprint, tests: ['residence' as const] } }
    const noPractice = triageReferral(facts({ postcode: OUT_POSTCODE, registeredPracticeOds: undefined }), residenceOnly, { ...ncl, practices: ['F83674'] }, ON).reasons.find((r) => r.includes('which this service requires'))
    expect(noPractice).toBe(`does not live in the North Central London WorkWell area, which this service requires (rule ${rules.footprint.id})`)
  })
})

describe('a fit note that ended before the referral does not set priority', () => {
  const urgentOn = (when: Record<string, unknown>): typeof rules => ({ ...rules, urgent: [{ id: 'baseline/urgent-test', when, reason: 'test urgency' }] })
  const ended = { outcome: 'not-fit' as const, advice: [], end: '2026-10-01' }

  it('is read as no fit note for urgency, even without a start date', () => {
    const f = facts({ fitNote: ended, referralDate: '2026-11-20' })
    expect(triageReferral(f, urgentOn({ fitNote: ['not-fit'] }), ncl, ON).priority).toBe('routine')
    expect(triageReferral(f, urgentOn({ fitNote: ['none'] }), ncl, ON).priority).toBe('urgent')
    // still current: its outcome counts
    expect(triageReferral(facts({ fitNote: { ...ended, end: '2026-12-31' } }), urgentOn({ fitNote: ['not-fit'] }), ncl, ON).priority).toBe('urgent')
  })
})

describe('coded risk, word for word', () => {
  it('says consent is missing only when it is, and names every risk code', () => {
    const consented = triageReferral(facts({ indicators: ['crisis', 'self-harm'] }), rules, ncl, ON)
    expect(consented.outcome).toBe('clinical-review')
    expect(consented.missing).toStrictEqual([])
    expect(consented.review).toBe('for clinical review at the partnership: coded risk: crisis, self-harm')
    expect(consented.reasons.some((r) => r.startsWith('missing:'))).toBe(false)
    const unconsented = triageReferral(facts({ indicators: ['crisis'], referralConsent: false }), rules, ncl, ON)
    expect(unconsented.reasons).toContain('missing: referral consent, so the referral waits in the partnership\'s worklist and is not sent on')
    expect(unconsented.review).toBe('for clinical review at the partnership: coded risk: crisis')
  })
})

describe('a rule set held past its grace period', () => {
  it('holds triage with the reason and the review date', () => {
    const late = new Date('2027-07-15T12:00:00Z')
    const r = triageReferral(facts(), { ...rules, reviewGraceDays: 30 }, ncl, late)
    expect(r.outcome).toBe('needs-information')
    expect(r.review).toBe(`for clinical review at the partnership: the rule set passed its review date ${rules.reviewBy}; triage is held until it is reviewed`)
  })
})

describe('a "may be fit" note without advice', () => {
  it('asks what would help only when no advice box is ticked', () => {
    const ask = 'the \'may be fit\' fit note has no advice box ticked: ask the issuer what would help the person work'
    expect(triageReferral(facts({ fitNote: { outcome: 'may-be-fit', advice: [] } }), rules, ncl, ON).reasons).toContain(ask)
    expect(triageReferral(facts({ fitNote: { outcome: 'may-be-fit', advice: ['phased-return'] } }), rules, ncl, ON).reasons).not.toContain(ask)
    expect(triageReferral(facts({ fitNote: { outcome: 'not-fit', advice: [] } }), rules, ncl, ON).reasons).not.toContain(ask)
  })
})

describe('out of area with no address to test', () => {
  it('says the person has no fixed abode (a pseudo-postcode) rather than that they live elsewhere', () => {
    const r = triageReferral(facts({ postcode: 'ZZ99 3VZ', registeredPracticeOds: OUT_PRACTICE }), rules, ncl, ON)
    expect(r.outcome).toBe('signpost-only')
    expect(r.reasons.some((x) => x.startsWith('has no fixed abode or home address to test, and is not registered with a GP practice in the North Central London WorkWell area'))).toBe(true)
    const lives = triageReferral(facts({ postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE }), rules, ncl, ON)
    expect(lives.reasons.some((x) => x.startsWith('neither lives in nor is registered with a GP practice in'))).toBe(true)
  })
})

describe('out of area, in words and signposts', () => {
  const away = facts({ postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE })
  const reasonOf = (r: ReturnType<typeof triageReferral>): string => r.reasons.find((x) => x.includes('which this service requires')) ?? ''
  const only = (tests: Array<'residence' | 'registration'>): typeof rules => ({ ...rules, footprint: { ...rules.footprint, tests } })

  it('names the one test the rules use', () => {
    expect(reasonOf(triageReferral(away, only(['residence']), ncl, ON))).toMatch(/^does not live in the North Central London WorkWell area, /)
    expect(reasonOf(triageReferral(away, only(['registration']), ncl, ON))).toMatch(/^is not registered with a GP practice in the North Central London WorkWell area, /)
    expect(reasonOf(triageReferral(away, only(['residence', 'registration']), ncl, ON))).toMatch(/^neither lives in nor is registered with a GP practice in the North Central London WorkWell area, /)
  })

  it('points to the person\'s own area\'s WorkWell service, with its instructions when it has any', () => {
    const withText = { partnershipId: 'greater-manchester', service: { name: 'GM WorkWell', url: 'https://example.org/gm', text: 'Referral by the GP practice' } }
    const own = (home: typeof withText | { partnershipId: string, service: { name: string } }): string | undefined =>
      triageReferral(away, rules, ncl, ON, home).outputs.find((o) => o.code === 'own-area-workwell')?.local?.text
    expect(own(withText)).toBe('The WorkWell service for the area the person lives or is registered in: Referral by the GP practice')
    expect(own({ partnershipId: 'greater-manchester', service: { name: 'GM WorkWell' } })).toBe('The WorkWell service for the area the person lives or is registered in')
  })

  it('gives a sub-area\'s own out-of-area signposts to people in the wider area, and the national ones to people outside it', () => {
    const pilot = {
      ...rules,
      footprint: { ...rules.footprint, subArea: { name: 'the pilot PCNs', practices: ['Y99999'], postcodeDistricts: ['ZZ1'] } },
      outOfArea: { id: 'north-central-london/outside-pilot', signposts: ['local-workwell-team'] }
    }
    const inWider = triageReferral(facts(), pilot, ncl, ON)
    expect(inWider.outputs.filter((o) => o.kind === 'signpost' && o.code === 'local-workwell-team').map((o) => o.rule)).toStrictEqual(['north-central-london/outside-pilot'])
    const outside = triageReferral(away, pilot, ncl, ON)
    expect(outside.outputs.some((o) => o.rule === 'north-central-london/outside-pilot')).toBe(false)
    expect(outside.outputs.some((o) => o.rule === rules.outOfPartnership.id)).toBe(true)
  })
})

describe('consent alongside other missing details', () => {
  it('asks for consent with everything else, saying when no permit covers today', () => {
    const r = triageReferral(facts({ birthDate: undefined, referralConsentPeriods: [{ end: '2020-01-01' }] }), rules, ncl, ON)
    expect(r.outcome).toBe('needs-information')
    expect(r.missing.map((m) => m.what)).toStrictEqual(['date of birth', 'referral consent'])
    expect(r.reasons).toContain('no referral consent\'s period covers today')
  })

  it('keeps an excluded referral without consent in the worklist, saying why', () => {
    const lsc = loaded.partnerships.get('lancashire-and-south-cumbria')
    const lscRules = loaded.rules.get('lancashire-and-south-cumbria')
    if (lsc === undefined || lscRules === undefined) throw new Error('no LSC')
    const person = facts({ postcode: `${lsc.postcodeDistricts[0] ?? ''} 1AA`, registeredPracticeOds: lsc.practices[0], referringPracticeOds: lsc.practices[0], employmentSituation: 'unemployed', dateWorkStopped: '2026-09-01', indicators: ['long-term-unemployed'], referralConsent: false })
    const r = triageReferral(person, lscRules, lsc, ON)
    expect(r.outcome).toBe('clinical-review')
    expect(r.reasons).toContain('missing: referral consent, so the referral waits in the partnership\'s worklist and is not sent on')
    expect(triageReferral({ ...person, referralConsent: true }, lscRules, lsc, ON).reasons.some((x) => x.startsWith('missing:'))).toBe(false)
  })
})

describe('reasons and signposts, word for word', () => {
  const lsc = loaded.partnerships.get('lancashire-and-south-cumbria')
  const lscRules = loaded.rules.get('lancashire-and-south-cumbria')
  if (lsc === undefined || lscRules === undefined) throw new Error('no LSC')
  const inLsc = (over: Parameters<typeof facts>[0]): ReturnType<typeof facts> => facts({ postcode: `${lsc.postcodeDistricts[0] ?? ''} 1AA`, registeredPracticeOds: lsc.practices[0], referringPracticeOds: lsc.practices[0], ...over })

  it('signposts out of area by the person\'s own area, adding the signpost rules that match', () => {
    const away = facts({ postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE, indicators: ['money-worries'] })
    const home = { partnershipId: 'greater-manchester', service: { name: 'GM WorkWell' } }
    const r = triageReferral(away, rules, ncl, ON, home)
    expect(r.outputs.find((o) => o.code === 'own-area-workwell')?.reason).toBe('outside this WorkWell service\'s area: the person\'s own GP practice or home is in the greater-manchester WorkWell area')
    const debt = r.outputs.find((o) => o.code === 'debt-advice')
    expect(debt?.rule).toBe('baseline/money-worries-debt')
    expect(debt?.local?.name).toBe('National Debtline')
  })

  it('notes disagreeing records, with what is missing, only when there are some', () => {
    expect(triageReferral(facts({ conflicts: ['employment situation'], employmentSituation: undefined }), rules, ncl, ON).reasons).toContain('the current records disagree: employment situation')
    expect(triageReferral(facts({ conflicts: [], employmentSituation: undefined }), rules, ncl, ON).reasons.some((x) => x.startsWith('the current records disagree'))).toBe(false)
  })

  it('counts time out of work only for people out of work, and says the months within the limit', () => {
    const employed = triageReferral(inLsc({ employmentSituation: 'employed-off-sick', dateWorkStopped: '2020-01-01' }), lscRules, lsc, ON)
    expect(employed.outcome).toBe('eligible-refer')
    expect(employed.reasons).toContain('employment situation "employed-off-sick" is within the criteria (rule lancashire-and-south-cumbria/out-of-work-under-6-months)')
    const recent = triageReferral(inLsc({ employmentSituation: 'unemployed', dateWorkStopped: '2026-09-01' }), lscRules, lsc, ON)
    expect(recent.outcome).toBe('eligible-refer')
    expect(recent.reasons).toContain('out of work for 2 months, within the 6-month limit (rule lancashire-and-south-cumbria/out-of-work-under-6-months)')
    const long = triageReferral(inLsc({ employmentSituation: 'unemployed', dateWorkStopped: '2025-01-01' }), lscRules, lsc, ON)
    expect(long.outcome).toBe('signpost-only')
  })

  it('keeps urgency while details are missing', () => {
    const r = triageReferral(facts({ birthDate: undefined, employmentSituation: 'employed-off-sick', indicators: ['at-risk-of-job-loss'] }), rules, ncl, ON)
    expect(r.outcome).toBe('needs-information')
    expect(r.priority).toBe('urgent')
  })

  it('names an exclusion\'s reason as the review, with the signpost rules that match', () => {
    const r = triageReferral(inLsc({ employmentSituation: 'unemployed', dateWorkStopped: '2026-09-01', indicators: ['long-term-unemployed', 'money-worries'] }), lscRules, lsc, ON)
    const rule = lscRules.exclusions.find((e) => e.indicator === 'long-term-unemployed')
    expect(r.review).toBe(`for clinical review at the partnership: ${rule?.reason ?? ''}`)
    expect(r.outputs.some((o) => o.code === 'debt-advice')).toBe(true)
  })

  it('says no permit covers today when consent is all that is missing', () => {
    const r = triageReferral(facts({ referralConsentPeriods: [{ end: '2020-01-01' }] }), rules, ncl, ON)
    expect(r.missing.map((m) => m.what)).toStrictEqual(['referral consent'])
    expect(r.reasons).toContain('no referral consent\'s period covers today')
  })
})
