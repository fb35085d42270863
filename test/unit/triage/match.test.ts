import { describe, expect, it } from 'vitest'
import { matchContext, matches } from '../../../src/triage/match.ts'
import type { ResolvedRules } from '../../../src/triage/rules.ts'
import { facts } from './rules-fixture.ts'

const rules = { groups: { work: { 'in-work': ['employed-working'], 'out-of-work': ['unemployed'] }, conditions: { 'mental-health': ['35489007'] } } } as unknown as ResolvedRules

describe('matchContext', () => {
  it('reads "none" for a referral without a fit note, and only a "none" rule matches it', () => {
    const ctx = matchContext(facts({ fitNote: undefined }), rules)
    expect(ctx.fitNote).toBe('none')
    expect(matches({ fitNote: ['none'] }, ctx)).toBe(true)
    expect(matches({ fitNote: ['not-fit'] }, ctx)).toBe(false)
  })

  it('reads "unknown" for a fit note whose outcome is unclear, and counts days only with both dates', () => {
    expect(matchContext(facts({ fitNote: { advice: [] } }), rules).fitNote).toBe('unknown')
    expect(matchContext(facts({ fitNote: { outcome: 'not-fit', advice: [], start: '2026-11-01', end: '2026-11-30' } }), rules).fitNoteDays).toBe(29)
    expect(matchContext(facts({ fitNote: { outcome: 'not-fit', advice: [], start: '2026-11-01' } }), rules)).not.toHaveProperty('fitNoteDays')
  })

  it('leaves the situation out when the referral gives none', () => {
    expect(matchContext(facts({ employmentSituation: undefined }), rules)).not.toHaveProperty('situation')
    expect(matchContext(facts({ employmentSituation: 'unemployed' }), rules).work).toStrictEqual(new Set(['out-of-work']))
  })
})
