import { beforeAll, describe, expect, it } from 'vitest'
import type { Partnership } from '../../../src/routing/partnership.ts'
import { taskStatus } from '../../../src/triage/build-task.ts'
import type { ResolvedRules } from '../../../src/triage/rules.ts'
import { ageOn, triageReferral } from '../../../src/triage/triage.ts'
import { codes, DEPRESSION, facts, loadReal, MSK, ON, OUT_POSTCODE, OUT_PRACTICE } from './rules-fixture.ts'

let ncl: Partnership
let rules: ResolvedRules
let lsc: { p: Partnership, r: ResolvedRules }
beforeAll(async () => {
  const loaded = await loadReal()
  const get = <T>(v: T | undefined): T => { if (v === undefined) throw new Error('missing'); return v }
  ncl = get(loaded.partnerships.get('north-central-london'))
  rules = get(loaded.rules.get('north-central-london'))
  lsc = { p: get(loaded.partnerships.get('lancashire-and-south-cumbria')), r: get(loaded.rules.get('lancashire-and-south-cumbria')) }
})

const triage = (over: Parameters<typeof facts>[0] = {}, on = ON): ReturnType<typeof triageReferral> => triageReferral(facts(over), rules, ncl, on)

describe('ageOn', () => {
  it('counts whole years, turning on the birthday itself', () => {
    expect(ageOn('2010-11-20', new Date('2026-11-19T12:00:00Z'))).toBe(15)
    expect(ageOn('2010-11-20', new Date('2026-11-20T00:00:00Z'))).toBe(16)
    expect(ageOn('2010-11-20', new Date('2026-11-21T12:00:00Z'))).toBe(16)
    expect(ageOn('2010-12-01', new Date('2026-11-30T12:00:00Z'))).toBe(15)
    expect(ageOn('1986-04-12', ON)).toBe(40)
  })

  it('turns at midnight in England, not UTC (BST)', () => {
    // 23:30 UTC on 19 June is 00:30 on 20 June in London.
    expect(ageOn('2010-06-20', new Date('2026-06-19T23:30:00Z'))).toBe(16)
  })

  it('has someone born on 29 February come of age on 1 March in a common year', () => {
    expect(ageOn('2008-02-29', new Date('2026-02-28T12:00:00Z'))).toBe(17)
    expect(ageOn('2008-02-29', new Date('2026-03-01T12:00:00Z'))).toBe(18)
    expect(ageOn('2008-02-29', new Date('2028-02-29T12:00:00Z'))).toBe(20)
  })

  it('reads a partial date as the start of its period', () => {
    expect(ageOn('2010', new Date('2026-01-01T12:00:00Z'))).toBe(16)
    expect(ageOn('2010', new Date('2025-12-31T12:00:00Z'))).toBe(15)
    expect(ageOn('2010-06', new Date('2026-05-31T12:00:00Z'))).toBe(15)
    expect(ageOn('2010-06', new Date('2026-06-01T12:00:00Z'))).toBe(16)
  })

  it('gives undefined for what is not a FHIR date', () => {
    for (const bad of ['', '12/04/1986', '1986-4-12', '1986-04-12T00:00:00Z', 'unknown']) {
      expect(ageOn(bad, ON), bad).toBeUndefined()
    }
  })
})

describe('triageReferral: needs-information', () => {
  it('lists everything missing at once, consent included, with where to supply it', () => {
    const result = triageReferral({ indicators: [], referralConsent: false, reasonCodes: [], isReferral: true, postcode: 'N7 6LB' }, rules, ncl, ON)
    expect(result.outcome).toBe('needs-information')
    expect(result.missing).toStrictEqual([
      { what: 'employment situation', expression: 'ServiceRequest.supportingInfo' },
      { what: 'date of birth', expression: 'Patient.birthDate' },
      { what: 'health condition', expression: 'ServiceRequest.reasonCode' },
      { what: 'referral consent', expression: 'ServiceRequest.supportingInfo' }
    ])
    expect(result.outputs).toStrictEqual([])
    expect(result.reasons).toStrictEqual(['missing: employment situation, date of birth, health condition, referral consent', 'eligibility as at 2026-11-20, the day of triage (the referral gives no date of its own)'])
    expect(result.summary).toBe('WorkWell cannot decide yet: please send the employment situation, date of birth, health condition, referral consent.')
  })

  it('names only the one thing missing', () => {
    expect(triage({ employmentSituation: undefined }).missing.map((m) => m.what)).toStrictEqual(['employment situation'])
    expect(triage({ birthDate: undefined }).missing.map((m) => m.what)).toStrictEqual(['date of birth'])
    expect(triage({ reasonCodes: [] }).missing.map((m) => m.what)).toStrictEqual(['health condition'])
    expect(triage({ referralConsent: false }).missing.map((m) => m.what)).toStrictEqual(['referral consent'])
  })

  it('asks again for an employment situation it does not recognise, and a birth date it cannot read', () => {
    expect(triage({ employmentSituation: 'retired-maybe' }).missing.map((m) => m.what)).toStrictEqual(['employment situation'])
    expect(triage({ birthDate: '12/04/1986' }).missing.map((m) => m.what)).toStrictEqual(['date of birth'])
  })

  it('asks where the person lives or is registered before deciding the footprint', () => {
    const both = triage({ postcode: undefined, registeredPracticeOds: undefined })
    expect(both.outcome).toBe('needs-information')
    expect(both.missing.map((m) => m.what)).toStrictEqual(['home postcode', 'registered GP practice'])
    // Registered outside, postcode unknown: residence could still pass, so ask for it.
    expect(triage({ postcode: undefined, registeredPracticeOds: OUT_PRACTICE }).missing.map((m) => m.what)).toStrictEqual(['home postcode'])
    expect(triage({ postcode: 'not a postcode', registeredPracticeOds: OUT_PRACTICE }).missing.map((m) => m.expression)).toStrictEqual(['Patient.address.postalCode'])
    // Registered inside: decided without the postcode.
    expect(triage({ postcode: undefined }).outcome).toBe('eligible-refer')
  })

  it('asks for the date work stopped where a time limit applies, rather than guessing (LSC)', () => {
    const result = triageReferral(facts({ postcode: 'BB2 4HT', employmentSituation: 'unemployed' }), lsc.r, lsc.p, ON)
    expect(result.outcome).toBe('needs-information')
    expect(result.missing).toStrictEqual([{ what: 'date work stopped', expression: 'ServiceRequest.supportingInfo' }])
    const unreadable = triageReferral(facts({ postcode: 'BB2 4HT', employmentSituation: 'unemployed', dateWorkStopped: 'last spring' }), lsc.r, lsc.p, ON)
    expect(unreadable.missing.map((m) => m.what)).toStrictEqual(['date work stopped'])
    // No limit in NCL: the date is not needed.
    expect(triage({ employmentSituation: 'unemployed' }).outcome).toBe('eligible-refer')
  })

  it('takes a fit note as the health condition', () => {
    expect(triage({ reasonCodes: [], fitNote: { outcome: 'may-be-fit', advice: [] } }).outcome).toBe('eligible-refer')
  })

  it('keeps an urgent priority on a referral held only for consent', () => {
    const result = triage({ referralConsent: false, employmentSituation: 'employed-off-sick', indicators: ['at-risk-of-job-loss'] })
    expect(result).toMatchObject({ outcome: 'needs-information', priority: 'urgent' })
  })
})

describe('triageReferral: what it cannot read for certain, it asks for', () => {
  it('asks for the full date of birth when a partial one could be either side of 16', () => {
    const either = triage({ birthDate: '2010' })
    expect(either.outcome).toBe('needs-information')
    expect(either.missing).toStrictEqual([{ what: 'full date of birth (day, month and year)', expression: 'Patient.birthDate' }])
    expect(either.summary).toBe('WorkWell cannot decide yet: please send the full date of birth (day, month and year).')
    expect(either.reasons.join(' | ')).toContain('the date of birth is partial and could be either side of the minimum age 16 (rule baseline/minimum-age)')
    // A partial date that is certain either way decides as a full one would.
    expect(triage({ birthDate: '2010-10' }).outcome).toBe('eligible-refer')
    expect(triage({ birthDate: '2011' }).outcome).toBe('ineligible')
  })

  it('asks for the full date work stopped when a partial one could be either side of the 6-month limit (LSC)', () => {
    const lscTriage = (dateWorkStopped: string): ReturnType<typeof triageReferral> =>
      triageReferral(facts({ postcode: 'BB2 4HT', employmentSituation: 'unemployed', dateWorkStopped }), lsc.r, lsc.p, ON)
    const either = lscTriage('2026-05')
    expect(either.outcome).toBe('needs-information')
    expect(either.missing.map((m) => m.what)).toStrictEqual(['full date work stopped (day, month and year)'])
    expect(either.reasons.join(' | ')).toContain('could be either side of the 6-month limit (rule lancashire-and-south-cumbria/out-of-work-under-6-months)')
    expect(lscTriage('2026-06').outcome).toBe('eligible-refer')
    expect(lscTriage('2026-04').outcome).toBe('signpost-only')
    expect(lscTriage('2026').outcome).toBe('needs-information')
  })

  it('says so when a \'not fit\' fit note has no readable period, rather than treat it as short', () => {
    for (const note of [{ outcome: 'not-fit' as const, advice: [] }, { outcome: 'not-fit' as const, advice: [], start: '2026-12-30', end: '2026-11-18' }]) {
      const result = triage({ employmentSituation: 'employed-off-sick', fitNote: note })
      expect(result.outcome).toBe('eligible-refer')
      expect(result.priority).toBe('routine')
      expect(result.reasons.join(' | ')).toContain('no readable start and end date, so its length could not be used for priority')
    }
    expect(triage({ employmentSituation: 'employed-off-sick', fitNote: { outcome: 'not-fit', advice: [], start: '2026-11-18', end: '2026-12-30' } }).priority).toBe('urgent')
    expect(triage({ fitNote: { outcome: 'may-be-fit', advice: [] } }).reasons.join(' | ')).not.toContain('no readable start')
  })

  it('asks for the fit-note outcome when the fit note does not say for certain whether the person is fit', () => {
    const result = triage({ employmentSituation: 'employed-off-sick', fitNote: { advice: [], start: '2026-11-18', end: '2026-12-30' } })
    expect(result.outcome).toBe('needs-information')
    expect(result.missing).toStrictEqual([{ what: 'fit-note outcome (not fit or may be fit)', expression: 'Observation.valueCodeableConcept' }])
  })

  it('holds a referral whose consent period does not cover today, naming consent', () => {
    for (const period of [{ end: '2026-11-19' }, { start: '2026-11-21' }, { end: 'whenever' }]) {
      const result = triage({ referralConsentPeriods: [period] })
      expect(result.outcome, JSON.stringify(period)).toBe('needs-information')
      expect(result.missing.map((m) => m.what)).toStrictEqual(['referral consent'])
      expect(result.reasons.join(' | ')).toContain('no referral consent\'s period covers today')
    }
    expect(triage({ referralConsentPeriods: [{ start: '2026-11-20', end: '2026-11-20' }] }).outcome).toBe('eligible-refer')
    expect(triage({ referralConsentPeriods: [{ end: '2026-11' }] }).outcome).toBe('eligible-refer')
  })

  it('takes consent as current when any permit covers the day, whatever the order of the others', () => {
    const table: Array<[string, Array<{ start?: string, end?: string }>, 'eligible-refer' | 'needs-information']> = [
      ['expired, then current open-ended', [{ start: '2024-01-10', end: '2024-07-09' }, { start: '2026-11-20' }], 'eligible-refer'],
      ['current open-ended, then expired', [{ start: '2026-11-20' }, { start: '2024-01-10', end: '2024-07-09' }], 'eligible-refer'],
      ['unreadable, then current', [{ end: 'whenever' }, { end: '2026-12-31' }], 'eligible-refer'],
      ['expired and not yet started', [{ end: '2026-11-19' }, { start: '2026-11-21' }], 'needs-information']
    ]
    for (const [name, periods, outcome] of table) expect(triage({ referralConsentPeriods: periods }).outcome, name).toBe(outcome)
  })
})

describe('triageReferral: the order of decisions', () => {
  it('finds someone under 16 ineligible even with other details missing', () => {
    const result = triage({ birthDate: '2010-11-21', employmentSituation: undefined, referralConsent: false })
    expect(result).toMatchObject({ outcome: 'ineligible', priority: 'routine', outputs: [], missing: [] })
    expect(result.reasons).toStrictEqual(['under 16 (rule baseline/minimum-age)', 'eligibility as at 2026-11-20, the day of triage (the referral gives no date of its own)'])
    expect(result.summary).toBe('You are not eligible for WorkWell: it supports people aged 16 and over.')
  })

  it('checks the footprint itself: someone routed here by the referring practice who lives and is registered in another partnership is signposted, not referred', async () => {
    const nwl = (await loadReal()).partnerships.get('north-west-london')
    const district = nwl?.postcodeDistricts[0]
    const practice = nwl?.practices[0]
    if (district === undefined || practice === undefined) throw new Error('no NWL area')
    const result = triage({ referringPracticeOds: 'F83674', postcode: `${district} 1AA`, registeredPracticeOds: practice })
    expect(result.outcome).toBe('signpost-only')
    expect(codes(result, 'service')).toStrictEqual([])
    expect(result.outputs.map((o) => o.code)).toContain('own-area-workwell')
    expect(result.reasons[0]).toContain('rule north-central-london/resident-or-registered')
  })

  it('signposts someone out of area without asking for consent or other details', () => {
    const result = triage({ postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE, referralConsent: false, employmentSituation: undefined })
    expect(result.outcome).toBe('signpost-only')
    expect(result.missing).toStrictEqual([])
    expect(result.outputs.map((o) => [o.code, o.rule])).toStrictEqual([['own-area-workwell', 'baseline/out-of-area']])
    expect(result.summary).toContain('North Central London WorkWell (delivered by Shaw Trust) supports people who live in or are registered with a GP practice in the North Central London WorkWell area, so it cannot take this referral.')
  })

  it('sends a coded exclusion to clinical review at the partnership, urgent, never to silent refusal (LSC)', () => {
    for (const indicator of ['complex-health-needs', 'long-term-unemployed']) {
      const result = triageReferral(facts({ postcode: 'BB2 4HT', indicators: [indicator, 'no-risk-identified'] }), lsc.r, lsc.p, ON)
      expect(result.outcome, indicator).toBe('clinical-review')
      expect(result.priority, indicator).toBe('urgent')
      expect(result.deliverable, indicator).toBe(true)
      expect(result.reasons.join(' | '), indicator).toMatch(/for clinical review at the partnership, not an automatic refusal|a clinician at the partnership must review/)
      expect(codes(result, 'signpost'), indicator).toContain('local-workwell-team')
      expect(result.summary, indicator).toContain('A clinician at Lancashire and South Cumbria WorkWell will look at this referral urgently')
    }
  })

  it('does not decide on free text or on codes it does not know', () => {
    expect(triage({ indicators: ['something-else'] }).outcome).toBe('eligible-refer')
  })
})

describe('triageReferral: services, signposts and reasons', () => {
  it('keeps every reason when several rules choose the same output, and lists it once', () => {
    const result = triage({ employmentSituation: 'employed-off-sick', reasonCodes: [DEPRESSION, '197480006', MSK], fitNote: { outcome: 'not-fit', advice: ['amended-duties', 'workplace-adaptations'] } })
    const keys = result.outputs.map((o) => `${o.kind}:${o.code}`)
    expect(new Set(keys).size).toBe(keys.length)
    const adjustments = result.outputs.find((o) => o.code === 'workplace-adjustments')
    expect(adjustments?.rule).toBe('baseline/fit-note-amended-duties')
    expect(adjustments?.reason).toContain('also baseline/fit-note-workplace-adaptations')
    expect(adjustments?.reason).toContain('also baseline/in-work-adjustments')
  })

  it('signposts by coded indicators: smoking, money worries, housing', () => {
    const result = triage({ indicators: ['current-smoker', 'money-worries', 'housing-problem'] })
    expect(codes(result, 'signpost')).toStrictEqual(['council-services', 'debt-advice', 'smoking-cessation'])
    expect(result.outputs.find((o) => o.code === 'smoking-cessation')?.local).toMatchObject({ name: 'Stop Smoking London', phone: '0300 123 1044' })
  })

  it('names the partnership rule that placed the person, and the published basis', () => {
    const result = triage({ postcode: OUT_POSTCODE })
    expect(result.reasons).toStrictEqual([
      'aged 16 or over (rule baseline/minimum-age)',
      'is registered with a GP practice in the North Central London WorkWell area (rule north-central-london/resident-or-registered)',
      'employment situation "employed-working" is within the criteria (rule baseline/employment)',
      'criteria: the partnership\'s published criteria over the national baseline',
      'eligibility as at 2026-11-20, the day of triage (the referral gives no date of its own)'
    ])
  })

  it('summarises in plain English with the local service, its support length and how to reach signposts', () => {
    expect(triage({ employmentSituation: 'employed-off-sick' }).summary).toBe(
      'You are eligible for WorkWell and have been referred to North Central London WorkWell (delivered by Shaw Trust). ' +
      'It can offer: Work and health assessment and action plan; Work and health coaching; Mental health support; Workplace adjustments support; Return-to-work plan. ' +
      'Support lasts up to 8 weeks while in work. You may also find these useful: Debt advice (National Debtline, 0808 808 4000).')
    expect(triage({ employmentSituation: 'unemployed', isReferral: false, referralConsent: false }).summary).toMatch(
      /^You are eligible for WorkWell; your GP can refer you to North Central London WorkWell \(delivered by Shaw Trust\) if you agree\. .* Support lasts up to 16 weeks while looking for work\./)
    expect(triage({ employmentSituation: 'employed-off-sick', indicators: ['at-risk-of-job-loss'] }).summary).toContain('The referral is marked urgent')
  })

  it('records the rules version, and flags a rule set past its review date without changing the decision', () => {
    const fresh = triage()
    expect(fresh.rulesVersion).toBe('workwell-baseline/2026.12.4+north-central-london/2026.12.1+north-central-london/partnership/2026.12.1')
    expect(fresh.reasons.join(' ')).not.toContain('review date')
    const stale = triage({}, new Date('2027-06-01T12:00:00Z'))
    expect(stale.outcome).toBe('eligible-refer')
    expect(stale.reasons.at(-1)).toBe(`rule set ${fresh.rulesVersion} passed its review date ${rules.reviewBy}: confirm this outcome with the local WorkWell team`)
  })

  it('guards the in-work and out-of-work services even if a rule slips through', () => {
    const loose: ResolvedRules = { ...rules, services: [...rules.services, { id: 'baseline/bad', code: 'cv-interview-help', when: {}, reason: 'a rule that forgot its condition' }] }
    expect(codes(triageReferral(facts(), loose, ncl, ON), 'service')).not.toContain('cv-interview-help')
  })

  it('says whether it triaged a referral or advice-only request', () => {
    expect(triage().referral).toBe(true)
    expect(triage({ isReferral: false, referralConsent: false }).referral).toBe(false)
  })

  it('says when a partnership uses the national baseline rather than criteria of its own', async () => {
    const loaded = await loadReal()
    const frimley = loaded.rules.get('frimley')
    const area = loaded.partnerships.get('frimley')
    if (frimley === undefined || area === undefined) throw new Error('no frimley')
    const result = triageReferral(facts({ postcode: `${area.postcodeDistricts[0] ?? ''} 1AA` }), frimley, area, ON)
    expect(result.reasons).toContain('criteria: the national baseline (no criteria of the partnership\'s own are encoded; its rule file says why)')
  })

  it('is the same on the same day for the same facts', () => {
    const f = facts({ employmentSituation: 'unemployed', reasonCodes: [MSK, DEPRESSION] })
    expect(triageReferral(f, rules, ncl, ON)).toStrictEqual(triageReferral(structuredClone(f), rules, ncl, new Date(ON)))
  })
})

describe('triageReferral: facts chosen by their dates (finding 2)', () => {
  const table: Array<{ name: string, over: Parameters<typeof facts>[0], outcome: string, priority: 'urgent' | 'routine', reason?: string }> = [
    { name: 'a \'not fit\' note that ended in 2024 does not make the referral urgent', over: { employmentSituation: 'employed-off-sick', fitNote: { outcome: 'not-fit', advice: [], start: '2024-01-01', end: '2024-03-01' } }, outcome: 'eligible-refer', priority: 'routine', reason: 'the fit note ended on 2024-03-01' },
    { name: 'a current \'not fit\' note of 6 weeks still does', over: { employmentSituation: 'employed-off-sick', fitNote: { outcome: 'not-fit', advice: [], start: '2026-11-10', end: '2026-12-22' } }, outcome: 'eligible-refer', priority: 'urgent' },
    { name: 'a note ending on the triage day is still current', over: { employmentSituation: 'employed-off-sick', fitNote: { outcome: 'not-fit', advice: [], start: '2026-10-01', end: '2026-11-20' } }, outcome: 'eligible-refer', priority: 'urgent' },
    { name: 'current employment records that disagree are asked about', over: { employmentSituation: undefined, conflicts: ['employment situation'] }, outcome: 'needs-information', priority: 'routine', reason: 'current records disagree: employment situation' }
  ]
  it.each(table.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const result = triage(row.over)
    expect(result.outcome).toBe(row.outcome)
    expect(result.priority).toBe(row.priority)
    if (row.reason !== undefined) expect(result.reasons.join(' | ')).toContain(row.reason)
  })
})

describe('triageReferral: eligibility as at the referral date (finding 5)', () => {
  const referred = { referralDate: '2026-11-20T10:15:00+00:00', postcode: 'BB2 4HT' }
  const later = new Date('2026-11-29T12:00:00Z')
  const table: Array<{ name: string, over: Parameters<typeof facts>[0], on: Date, outcome: string, reason: string }> = [
    { name: '5 months out of work at referral, re-triaged 9 days later: still within the 6-month limit', over: { ...referred, employmentSituation: 'unemployed', dateWorkStopped: '2026-05-25' }, on: later, outcome: 'eligible-refer', reason: 'eligibility as at 2026-11-20, the referral date (triaged on 2026-11-29)' },
    { name: 'the same on the referral day', over: { ...referred, employmentSituation: 'unemployed', dateWorkStopped: '2026-05-25' }, on: ON, outcome: 'eligible-refer', reason: 'eligibility as at 2026-11-20, the referral date' },
    { name: 'age is judged at the referral too', over: { ...referred, birthDate: '2010-11-25', indicators: ['no-risk-identified'] }, on: later, outcome: 'ineligible', reason: 'eligibility as at 2026-11-20' },
    { name: 'no referral date: the triage day, and it says so', over: { employmentSituation: 'unemployed', dateWorkStopped: '2026-05-25', postcode: 'BB2 4HT' }, on: later, outcome: 'signpost-only', reason: 'eligibility as at 2026-11-29, the day of triage' },
    { name: 'a referral date in the future is not used', over: { ...referred, referralDate: '2026-12-25', employmentSituation: 'unemployed', dateWorkStopped: '2026-05-25' }, on: later, outcome: 'signpost-only', reason: 'eligibility as at 2026-11-29, the day of triage' }
  ]
  it.each(table.map((r) => [r.name, r] as const))('%s (LSC)', (_name, row) => {
    const result = triageReferral(facts(row.over), lsc.r, lsc.p, row.on)
    expect(result.outcome).toBe(row.outcome)
    expect(result.reasons.join(' | ')).toContain(row.reason)
  })
})

describe('triageReferral: rules that cannot go stale quietly (finding 8)', () => {
  // NCL: rule files and partnership.json are all due for review on 2027-05-31; the grace is 30 days.
  const table: Array<{ name: string, on: string, over?: Parameters<typeof facts>[0], area?: Partial<Partnership>, outcome: string, status: string, reason: string }> = [
    { name: 'before the review date: decided, no warning', on: '2027-05-31', outcome: 'eligible-refer', status: 'requested', reason: 'eligibility as at' },
    { name: 'past it, within the grace period: decided, with a warning', on: '2027-06-30', outcome: 'eligible-refer', status: 'requested', reason: 'passed its review date 2027-05-31: confirm this outcome' },
    { name: 'past the grace period: held as needs-information for a clinician, never turned away', on: '2027-07-01', outcome: 'needs-information', status: 'requested', reason: 'held: rule set' },
    { name: 'held even for someone who would be out of area', on: '2027-07-01', over: { postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE }, outcome: 'needs-information', status: 'requested', reason: 'held: rule set' },
    { name: 'a partnership.json due earlier counts', on: '2027-01-15', area: { reviewBy: '2026-12-01' }, outcome: 'needs-information', status: 'requested', reason: 'passed its review date 2026-12-01' },
    { name: 'coded risk still goes to clinical review when held', on: '2027-07-01', over: { indicators: ['crisis'] }, outcome: 'clinical-review', status: 'requested', reason: 'coded risk indicator crisis' }
  ]
  it.each(table.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const area = { ...ncl, ...row.area }
    const result = triageReferral(facts(row.over), rules, area, new Date(`${row.on}T12:00:00Z`))
    expect(result.outcome).toBe(row.outcome)
    expect(taskStatus(result)).toBe(row.status)
    expect(result.reasons.join(' | ')).toContain(row.reason)
    if (row.on === '2027-05-31') expect(result.reasons.join(' | ')).not.toContain('review date')
  })

  it('records partnership.json\'s version with the rules\' on every Task', () => {
    expect(triage().rulesVersion).toBe(`${rules.version}+north-central-london/partnership/${ncl.version ?? ''}`)
    expect(triageReferral(facts(), rules, { ...ncl, version: '2099.1.1' }, ON).rulesVersion).toMatch(/\/partnership\/2099\.1\.1$/)
  })
})
