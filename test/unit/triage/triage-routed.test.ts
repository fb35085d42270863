import { describe, expect, it } from 'vitest'
import { buildRoutingIndex } from '../../../src/routing/route-referral.ts'
import { triageReferral } from '../../../src/triage/triage.ts'
import { isDeliverable, triageRouted } from '../../../src/triage/triage-routed.ts'
import { facts, loadReal, ON } from './rules-fixture.ts'

const loaded = await loadReal()
const routing = buildRoutingIndex(loaded.partnerships.values())
const ncl = loaded.partnerships.get('north-central-london')
const gm = loaded.partnerships.get('greater-manchester')
if (ncl === undefined || gm === undefined) throw new Error('partnerships missing')
const gmHome = `${gm.postcodeDistricts[0] ?? ''} 1AA`

describe('triageRouted', () => {
  it('triages under the routed partnership\'s own rules', () => {
    const f = facts()
    const nclRules = loaded.rules.get('north-central-london')
    if (nclRules === undefined) throw new Error('rules missing')
    expect(triageRouted(f, ncl, routing, loaded.rules, ON)).toStrictEqual(triageReferral(f, nclRules, ncl, ON))
  })

  it('names the person\'s own pilot when they belong to another one (H9)', () => {
    const f = facts({ registeredPracticeOds: gm.practices[0] ?? '', postcode: gmHome })
    const own = triageRouted(f, ncl, routing, loaded.rules, ON).outputs.find((o) => o.code === 'own-area-workwell')
    expect(own?.local?.name).toBe(loaded.rules.get('greater-manchester')?.directory['work-health-assessment']?.name)
  })

  it('refuses a partnership with no rules loaded as a bug', () => {
    expect(() => triageRouted(facts(), ncl, routing, new Map(), ON)).toThrow('no triage rules loaded for partnership north-central-london')
  })
})

describe('isDeliverable', () => {
  const eligible = triageRouted(facts(), ncl, routing, loaded.rules, ON)

  it('delivers an eligible, consented referral, and nothing else', () => {
    expect(eligible.outcome).toBe('eligible-refer')
    expect(isDeliverable(eligible, facts())).toBe(true)
    expect(isDeliverable(eligible, facts({ referralConsent: false }))).toBe(false)
    expect(isDeliverable(eligible, facts({ isReferral: false }))).toBe(false)
    expect(isDeliverable({ ...eligible, outcome: 'signpost-only', deliverable: false }, facts())).toBe(false)
    expect(isDeliverable({ ...eligible, deliverable: false }, facts())).toBe(false)
  })
})
