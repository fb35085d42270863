import { describe, expect, it } from 'vitest'
import type { ReferralFacts } from '../../../src/intake/referral-facts.ts'
import { BASELINE_RULES_VERSION } from '../../../src/triage/baseline-rules.ts'
import { ageOn, triageReferral } from '../../../src/triage/triage.ts'
import type { TriageResult } from '../../../src/triage/triage-result.ts'

const ON = new Date('2026-11-20T12:00:00Z')
const DEPRESSION = '35489007'
const MSK = '928000'

/** A complete, eligible referral: an adult in work with depression who consented. */
function facts (over: Partial<ReferralFacts> = {}): ReferralFacts {
  return {
    birthDate: '1986-04-12',
    referringPracticeOds: 'F83674',
    postcode: 'N7 6LB',
    employmentSituation: 'employed-working',
    referralConsent: true,
    reasonCodes: [DEPRESSION],
    isReferral: true,
    ...over
  }
}

const codes = (r: TriageResult, kind: 'service' | 'signpost'): string[] => r.outputs.filter((o) => o.kind === kind).map((o) => o.code).sort()

describe('ageOn', () => {
  it('counts whole years, turning on the birthday itself', () => {
    expect(ageOn('2010-11-20', new Date('2026-11-19T12:00:00Z'))).toBe(15)
    expect(ageOn('2010-11-20', new Date('2026-11-20T00:00:00Z'))).toBe(16)
    expect(ageOn('2010-11-20', new Date('2026-11-21T12:00:00Z'))).toBe(16)
    expect(ageOn('2010-12-01', new Date('2026-11-30T12:00:00Z'))).toBe(15)
    expect(ageOn('1986-04-12', ON)).toBe(40)
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
  it('lists exactly what is missing, with where to supply it', () => {
    const result = triageReferral({ referralConsent: false, reasonCodes: [], isReferral: true }, ON)
    expect(result.outcome).toBe('needs-information')
    expect(result.missing).toStrictEqual([
      { what: 'employment situation', expression: 'ServiceRequest.supportingInfo' },
      { what: 'date of birth', expression: 'Patient.birthDate' },
      { what: 'health condition', expression: 'ServiceRequest.reasonCode' },
      { what: 'referral consent', expression: 'ServiceRequest.supportingInfo' }
    ])
    expect(result.outputs).toStrictEqual([])
    expect(result.priority).toBe('routine')
    expect(result.reasons).toStrictEqual(['missing: employment situation, date of birth, health condition, referral consent'])
    expect(result.summary).toBe('WorkWell cannot decide yet: please send the employment situation, date of birth, health condition, referral consent.')
  })

  it('names only the one thing missing', () => {
    const { employmentSituation: _e, ...noSituation } = facts()
    expect(triageReferral(noSituation, ON).missing.map((m) => m.what)).toStrictEqual(['employment situation'])
    const { birthDate: _b, ...noBirthDate } = facts()
    expect(triageReferral(noBirthDate, ON).missing.map((m) => m.what)).toStrictEqual(['date of birth'])
    expect(triageReferral(facts({ reasonCodes: [] }), ON).missing.map((m) => m.what)).toStrictEqual(['health condition'])
    expect(triageReferral(facts({ referralConsent: false }), ON).missing.map((m) => m.what)).toStrictEqual(['referral consent'])
  })

  it('takes a fit note as the health condition', () => {
    const result = triageReferral(facts({ reasonCodes: [], fitNote: { outcome: 'may-be-fit', advice: [] } }), ON)
    expect(result.outcome).toBe('eligible-refer')
    expect(result.missing).toStrictEqual([])
  })

  it('needs no consent for a proposal (fit-note triage), only for a referral', () => {
    const result = triageReferral(facts({ isReferral: false, referralConsent: false }), ON)
    expect(result.outcome).toBe('eligible-refer')
    expect(result.summary.startsWith('You are eligible for WorkWell; your GP can refer you if you agree.')).toBe(true)
  })
})

describe('triageReferral: age', () => {
  it('finds someone under 16 ineligible, even with other details missing', () => {
    const result = triageReferral(facts({ birthDate: '2010-11-21', employmentSituation: undefined }), ON)
    expect(result).toMatchObject({ outcome: 'ineligible', priority: 'routine', outputs: [], missing: [] })
    expect(result.reasons).toStrictEqual(['under 16 (rule baseline/minimum-age)'])
    expect(result.summary).toBe('You are not eligible for WorkWell: it supports people aged 16 and over.')
  })

  it('finds someone on their 16th birthday eligible', () => {
    expect(triageReferral(facts({ birthDate: '2010-11-20' }), ON).outcome).toBe('eligible-refer')
  })
})

describe('triageReferral: services and signposts', () => {
  it('gives everyone eligible the core offer', () => {
    for (const situation of ['employed-working', 'unemployed']) {
      const result = triageReferral(facts({ employmentSituation: situation, reasonCodes: ['73211009'] }), ON)
      expect(result.outcome, situation).toBe('eligible-refer')
      expect(result.outputs.slice(0, 2).map((o) => [o.kind, o.code, o.rule]), situation).toStrictEqual([
        ['service', 'work-health-assessment', 'baseline/core-offer'],
        ['service', 'health-coaching', 'baseline/core-offer']
      ])
      expect(codes(result, 'service'), situation).not.toContain('mental-health-support')
      expect(codes(result, 'service'), situation).not.toContain('physiotherapy')
    }
  })

  it('offers mental health support for a mental health reason', () => {
    for (const code of [DEPRESSION, '197480006']) {
      const out = triageReferral(facts({ reasonCodes: [code] }), ON).outputs.find((o) => o.code === 'mental-health-support')
      expect(out, code).toMatchObject({ kind: 'service', rule: 'baseline/condition-mental-health', display: 'Mental health support' })
    }
    expect(codes(triageReferral(facts({ reasonCodes: [MSK] }), ON), 'service')).not.toContain('mental-health-support')
  })

  it('offers physiotherapy and signposts physical activity for a musculoskeletal reason', () => {
    const result = triageReferral(facts({ reasonCodes: [MSK] }), ON)
    expect(result.outputs.filter((o) => o.rule === 'baseline/condition-musculoskeletal').map((o) => [o.kind, o.code])).toStrictEqual([
      ['service', 'physiotherapy'],
      ['signpost', 'physical-activity']
    ])
    const mh = triageReferral(facts({ reasonCodes: [DEPRESSION] }), ON)
    expect(mh.outputs.map((o) => o.code)).not.toContain('physiotherapy')
    expect(mh.outputs.map((o) => o.code)).not.toContain('physical-activity')
  })

  it('gives workplace adjustments to those in work and CV help only to those out of work', () => {
    for (const situation of ['employed-working', 'employed-struggling', 'self-employed', 'employed-off-sick']) {
      const result = triageReferral(facts({ employmentSituation: situation }), ON)
      expect(codes(result, 'service'), situation).toContain('workplace-adjustments')
      expect(codes(result, 'service'), situation).not.toContain('cv-interview-help')
      expect(codes(result, 'signpost'), situation).not.toContain('debt-advice')
    }
    const out = triageReferral(facts({ employmentSituation: 'unemployed' }), ON)
    expect(codes(out, 'service')).toStrictEqual(['cv-interview-help', 'health-coaching', 'mental-health-support', 'work-health-assessment'])
    expect(codes(out, 'signpost')).toStrictEqual(['debt-advice', 'local-training'])
    expect(out.outputs.filter((o) => o.rule === 'baseline/out-of-work').map((o) => o.code)).toStrictEqual(['cv-interview-help', 'debt-advice', 'local-training'])
  })

  it('gives a return-to-work plan only to those in work and off sick or not fit', () => {
    const offSick = triageReferral(facts({ employmentSituation: 'employed-off-sick' }), ON)
    expect(offSick.outputs.find((o) => o.code === 'return-to-work-plan')?.rule).toBe('baseline/in-work-off-sick')
    const notFit = triageReferral(facts({ employmentSituation: 'employed-working', fitNote: { outcome: 'not-fit', advice: [] } }), ON)
    expect(codes(notFit, 'service')).toContain('return-to-work-plan')
    expect(codes(triageReferral(facts({ employmentSituation: 'employed-working' }), ON), 'service')).not.toContain('return-to-work-plan')
    const unemployedNotFit = triageReferral(facts({ employmentSituation: 'unemployed', fitNote: { outcome: 'not-fit', advice: [] } }), ON)
    expect(codes(unemployedNotFit, 'service')).not.toContain('return-to-work-plan')
    expect(codes(unemployedNotFit, 'service')).not.toContain('workplace-adjustments')
  })

  it('turns fit-note advice into workplace adjustments, occupational therapy and Access to Work', () => {
    const adaptations = triageReferral(facts({
      employmentSituation: 'employed-struggling',
      fitNote: { outcome: 'may-be-fit', advice: ['phased-return', 'workplace-adaptations'] }
    }), ON)
    expect(adaptations.outputs.filter((o) => o.rule === 'baseline/fit-note-advice').map((o) => [o.kind, o.code])).toStrictEqual([
      ['service', 'occupational-therapy'],
      ['signpost', 'access-to-work']
    ])
    expect(codes(adaptations, 'service')).toContain('workplace-adjustments')
    // chosen by two rules: the output keeps both reasons
    const adjustments = adaptations.outputs.find((o) => o.code === 'workplace-adjustments')
    expect(adjustments?.rule).toBe('baseline/in-work')
    expect(adjustments?.reason).toContain('also baseline/fit-note-advice: fit note advises phased-return, workplace-adaptations')
    expect(codes(triageReferral(facts({ fitNote: { outcome: 'may-be-fit', advice: ['amended-duties'] } }), ON), 'service')).toContain('occupational-therapy')
  })

  it('gives nothing for fit-note advice out of work, and OT only for amended duties or adaptations', () => {
    // not in work: the advice gives nothing
    const out = triageReferral(facts({ employmentSituation: 'unemployed', fitNote: { outcome: 'may-be-fit', advice: ['amended-duties'] } }), ON)
    expect(codes(out, 'service')).not.toContain('occupational-therapy')
    expect(codes(out, 'signpost')).not.toContain('access-to-work')
    // phased return or altered hours alone: adjustments, but no OT or Access to Work
    const hours = triageReferral(facts({ fitNote: { outcome: 'may-be-fit', advice: ['altered-hours'] } }), ON)
    expect(codes(hours, 'service')).not.toContain('occupational-therapy')
    expect(codes(hours, 'signpost')).toStrictEqual([])
  })

  it('lists each output once', () => {
    const result = triageReferral(facts({
      employmentSituation: 'employed-off-sick',
      reasonCodes: [DEPRESSION, '197480006', MSK],
      fitNote: { outcome: 'not-fit', advice: ['amended-duties', 'workplace-adaptations'] }
    }), ON)
    const keys = result.outputs.map((o) => `${o.kind}:${o.code}`)
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys.filter((k) => k === 'service:workplace-adjustments')).toHaveLength(1)
  })

  it('has every output name a rule and a reason, and the display of its code', () => {
    const result = triageReferral(facts({
      employmentSituation: 'employed-off-sick',
      reasonCodes: [DEPRESSION, MSK],
      fitNote: { outcome: 'not-fit', advice: ['workplace-adaptations'] }
    }), ON)
    expect(result.outputs.length).toBeGreaterThan(5)
    for (const o of result.outputs) {
      expect(o.rule, o.code).toMatch(/^baseline\/[a-z-]+$/)
      expect(o.reason.length, o.code).toBeGreaterThan(10)
      expect(o.display.length, o.code).toBeGreaterThan(3)
    }
    const unemployed = triageReferral(facts({ employmentSituation: 'unemployed', reasonCodes: [MSK] }), ON)
    for (const o of unemployed.outputs) expect(o.rule, o.code).toMatch(/^baseline\//)
  })
})

describe('triageReferral: priority, version and summary', () => {
  it('is urgent only for someone employed, off sick and not fit for work', () => {
    expect(triageReferral(facts({ employmentSituation: 'employed-off-sick', fitNote: { outcome: 'not-fit', advice: [] } }), ON).priority).toBe('urgent')
    expect(triageReferral(facts({ employmentSituation: 'employed-off-sick', fitNote: { outcome: 'may-be-fit', advice: [] } }), ON).priority).toBe('routine')
    expect(triageReferral(facts({ employmentSituation: 'employed-off-sick' }), ON).priority).toBe('routine')
    expect(triageReferral(facts({ employmentSituation: 'employed-working', fitNote: { outcome: 'not-fit', advice: [] } }), ON).priority).toBe('routine')
    expect(triageReferral(facts({ employmentSituation: 'unemployed', fitNote: { outcome: 'not-fit', advice: [] } }), ON).priority).toBe('routine')
  })

  it('records the rules version and reasons, and summarises for the patient', () => {
    const result = triageReferral(facts({ reasonCodes: [MSK] }), ON)
    expect(result.rulesVersion).toBe(BASELINE_RULES_VERSION)
    expect(result.reasons).toStrictEqual(['meets the national baseline (adult, health condition, work situation known)'])
    expect(result.summary).toBe('You are eligible for WorkWell and have been referred. Your local service can offer work and health assessment and action plan, ' +
      'work and health coaching, physiotherapy, workplace adjustments support. You may also find these useful: physical activity programmes.')
  })

  it('is the same on the same day for the same facts', () => {
    const f = facts({ employmentSituation: 'unemployed', reasonCodes: [MSK, DEPRESSION] })
    expect(triageReferral(f, ON)).toStrictEqual(triageReferral(structuredClone(f), new Date(ON)))
  })
})
