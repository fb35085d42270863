import { beforeAll, describe, expect, it } from 'vitest'
import type { ResolvedRules } from '../../../src/triage/rules.ts'
import { summarise, withContact, type SummaryInput } from '../../../src/triage/summary.ts'
import { areaName } from '../../../src/triage/footprint.ts'
import { outcomeDisplay } from '../../../src/triage/triage-code-systems.ts'
import type { TriageOutcome } from '../../../src/triage/triage-result.ts'
import { facts, loadReal } from './rules-fixture.ts'

/** The note read to the person, word for word per cause: a changed phrase must show here. */
let rules: ResolvedRules
beforeAll(async () => {
  const r = (await loadReal()).rules.get('north-central-london')
  if (r === undefined) throw new Error('no NCL rules')
  rules = r
})

const SERVICE = 'North Central London WorkWell (delivered by Shaw Trust)'
const debt = { kind: 'signpost' as const, code: 'debt-advice', display: 'Debt advice', rule: 'baseline/x', reason: 'r', local: { name: 'National Debtline', phone: '0808 808 4000' } }
const input = (over: Partial<SummaryInput>): SummaryInput => ({ outcome: 'signpost-only', cause: { kind: 'eligible' }, facts: facts(), rules, outputs: [], missing: [], urgent: false, ...over })

describe('summarise', () => {
  it('says why, in plain words, for each cause', () => {
    const table: Array<[string, Partial<SummaryInput>, string]> = [
      ['employment', { cause: { kind: 'employment', situation: 'x' }, outputs: [debt] }, `${SERVICE} does not cover your current work situation, but other support can help. You may also find these useful: Debt advice (National Debtline, 0808 808 4000).`],
      ['too long', { cause: { kind: 'out-of-work-too-long', months: 7, limit: 6 } }, `${SERVICE} supports people who have been out of work for less than 6 months, so it cannot take this referral, but other support can help.`],
      ['held', { cause: { kind: 'held', because: 'x' } }, `WorkWell cannot decide yet: a clinician at ${SERVICE} will look at this referral while the local criteria are reviewed.`],
      ['held advice', { cause: { kind: 'held', because: 'x' }, facts: facts({ isReferral: false }) }, `WorkWell cannot decide yet: a clinician at ${SERVICE} will look at this request while the local criteria are reviewed.`],
      ['review, consent missing', { cause: { kind: 'clinical-review', because: 'x' }, missing: [{ what: 'referral consent', expression: 'e' }] }, `A clinician at ${SERVICE} will look at this referral urgently and talk through with you, or your referrer, what support is right. Please send the referral consent.`],
      ['review, advice', { cause: { kind: 'clinical-review', because: 'x' }, facts: facts({ isReferral: false }) }, `A clinician at ${SERVICE} will look at this request urgently and talk through with you, or your referrer, what support is right.`],
      ['missing', { cause: { kind: 'missing' }, missing: [{ what: 'a', expression: 'e' }, { what: 'b', expression: 'e' }] }, 'WorkWell cannot decide yet: please send the a, b.'],
      ['out of area, registration counts', { cause: { kind: 'out-of-area', area: 'the X area' } }, `${SERVICE} supports people who live in or are registered with a GP practice in the X area, so it cannot take this referral.`]
    ]
    for (const [name, over, text] of table) expect(summarise(input(over)), name).toBe(text)
  })

  it('lists every missing item for clinical review, and no support length where the person\'s group has none', () => {
    expect(summarise(input({ cause: { kind: 'clinical-review', because: 'x' }, missing: [{ what: 'a', expression: 'e' }, { what: 'b', expression: 'e' }] })))
      .toBe(`A clinician at ${SERVICE} will look at this referral urgently and talk through with you, or your referrer, what support is right. Please send the a, b.`)
    const seekingOnly = { ...rules, supportLength: { seekingWorkWeeks: 16, source: 's' } }
    const service = { kind: 'service' as const, code: 'health-coaching', display: 'Health coaching', rule: 'baseline/x', reason: 'r' }
    expect(summarise(input({ outcome: 'eligible-refer', cause: { kind: 'eligible' }, rules: seekingOnly, outputs: [service], facts: facts({ employmentSituation: 'employed-working' }) })))
      .toBe(`You are eligible for WorkWell and have been referred to ${SERVICE}. It can offer: Health coaching.`)
  })

  it('says "live in" alone where the rules test residence only, and nothing of support length without a situation or a length', () => {
    const residenceOnly = { ...rules, footprint: { ...rules.footprint, tests: ['residence' as const] } }
    expect(summarise(input({ cause: { kind: 'out-of-area', area: 'the X area' }, rules: residenceOnly }))).toBe(`${SERVICE} supports people who live in the X area, so it cannot take this referral.`)
    const eligible = input({ outcome: 'eligible-refer', cause: { kind: 'eligible' }, facts: facts({ employmentSituation: undefined }), outputs: [{ kind: 'service', code: 'health-coaching', display: 'Health coaching', rule: 'baseline/x', reason: 'r' }] })
    expect(summarise(eligible)).toBe(`You are eligible for WorkWell and have been referred to ${SERVICE}. It can offer: Health coaching.`)
    const { supportLength: _s, ...noLength } = rules
    expect(summarise({ ...eligible, rules: noLength as ResolvedRules, facts: facts({ employmentSituation: 'unemployed' }) })).toBe(`You are eligible for WorkWell and have been referred to ${SERVICE}. It can offer: Health coaching.`)
  })

  it('gives the support length for someone looking for work, and none without a situation', () => {
    const eligible = input({ outcome: 'eligible-refer', cause: { kind: 'eligible' }, facts: facts({ employmentSituation: 'unemployed' }) })
    expect(summarise(eligible)).toContain(' Support lasts up to 16 weeks while looking for work.')
    expect(summarise({ ...eligible, facts: facts({ employmentSituation: undefined }) })).not.toContain('Support lasts')
    expect(summarise({ ...eligible, rules: { ...rules, directory: {} } })).toContain('referred to the local WorkWell service.')
  })
})

describe('withContact, areaName and outcomeDisplay', () => {
  it('names the service and its first way to reach it', () => {
    expect(withContact('Debt advice', undefined)).toBe('Debt advice')
    expect(withContact('Debt advice', { name: 'N', url: 'https://n.example' })).toBe('Debt advice (N, https://n.example)')
    expect(withContact('Debt advice', { name: 'N', text: 'ask' })).toBe('Debt advice (N)')
  })

  it('names the area, the sub-area, or the partnership area', () => {
    expect(areaName(rules, { practices: [], postcodeDistricts: [] })).toBe('the partnership area')
    expect(areaName(rules, { name: 'X WorkWell', practices: [], postcodeDistricts: [] })).toBe('the X WorkWell area')
    expect(areaName({ ...rules, footprint: { ...rules.footprint, subArea: { name: 'the pilot PCNs' } } }, { name: 'X', practices: [], postcodeDistricts: [] })).toBe('the pilot PCNs')
  })

  it('refuses an outcome the CodeSystem does not have', () => {
    expect(outcomeDisplay('clinical-review')).toBe('For clinical review')
    expect(() => outcomeDisplay('made-up' as TriageOutcome)).toThrow('triage outcome made-up is not in https://fhir.workwell.example/CodeSystem/triage-outcome')
  })
})
