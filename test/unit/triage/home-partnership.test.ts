import { describe, expect, it } from 'vitest'
import { buildRoutingIndex } from '../../../src/routing/route-referral.ts'
import { homeService } from '../../../src/triage/home-partnership.ts'
import { triageReferral } from '../../../src/triage/triage.ts'
import { facts, loadReal, ON, OUT_POSTCODE, OUT_PRACTICE } from './rules-fixture.ts'

const loaded = await loadReal()
const routing = buildRoutingIndex(loaded.partnerships.values())
const gm = loaded.partnerships.get('greater-manchester')
const ncl = loaded.partnerships.get('north-central-london')
const nclRules = loaded.rules.get('north-central-london')
if (gm === undefined || ncl === undefined || nclRules === undefined) throw new Error('partnerships missing')
const gmPractice = gm.practices[0] ?? ''
const gmHome = `${gm.postcodeDistricts[0] ?? ''} 1AA`
const gmService = loaded.rules.get('greater-manchester')?.directory['work-health-assessment']

describe('homeService', () => {
  it('finds the partnership of the person\'s own GP practice, never of the referring practice', () => {
    // Referred by an NCL practice, registered in Greater Manchester.
    const f = facts({ referringPracticeOds: 'F83674', registeredPracticeOds: gmPractice, postcode: OUT_POSTCODE })
    expect(homeService(f, routing, loaded.rules, 'north-central-london', ON)).toStrictEqual({ partnershipId: 'greater-manchester', service: gmService })
  })

  it('falls back to the home postcode, and finds nothing outside every pilot or inside the current one', () => {
    expect(homeService(facts({ registeredPracticeOds: OUT_PRACTICE, postcode: gmHome }), routing, loaded.rules, 'north-central-london', ON)?.partnershipId).toBe('greater-manchester')
    expect(homeService(facts({ registeredPracticeOds: OUT_PRACTICE, postcode: OUT_POSTCODE }), routing, loaded.rules, 'north-central-london', ON)).toBeUndefined()
    expect(homeService(facts(), routing, loaded.rules, 'north-central-london', ON)).toBeUndefined()
  })
})

describe('homeService without a service to name', () => {
  it('finds nothing when the partnership found has no rules, or no WorkWell service in its directory', () => {
    const f = facts({ referringPracticeOds: 'F83674', registeredPracticeOds: gmPractice, postcode: OUT_POSTCODE })
    const withoutGm = new Map([...loaded.rules].filter(([id]) => id !== 'greater-manchester'))
    expect(homeService(f, routing, withoutGm, 'north-central-london', ON)).toBeUndefined()
    const gmRules = loaded.rules.get('greater-manchester')
    if (gmRules === undefined) throw new Error('no GM rules')
    const { 'work-health-assessment': _w, ...directory } = gmRules.directory
    const noService = new Map([...loaded.rules, ['greater-manchester', { ...gmRules, directory }]])
    expect(homeService(f, routing, noService, 'north-central-london', ON)).toBeUndefined()
  })
})

describe('triage of someone routed to the wrong partnership by the referring practice', () => {
  it('signposts the WorkWell service of the partnership the person belongs to, by name and how to reach it', () => {
    const f = facts({ referringPracticeOds: 'F83674', registeredPracticeOds: gmPractice, postcode: gmHome })
    const result = triageReferral(f, nclRules, ncl, ON, homeService(f, routing, loaded.rules, 'north-central-london', ON))
    expect(result.outcome).toBe('signpost-only')
    const own = result.outputs.find((o) => o.code === 'own-area-workwell')
    expect(own?.rule).toBe('baseline/out-of-area')
    expect(own?.local?.name).toBe(gmService?.name)
    expect(own?.reason).toContain('greater-manchester WorkWell area')
    expect(result.summary).toContain(gmService?.name)
  })

  it('keeps the general signpost when no pilot partnership covers the person', () => {
    const result = triageReferral(facts({ postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE }), nclRules, ncl, ON)
    expect(result.outputs.find((o) => o.code === 'own-area-workwell')?.local?.name).toBe('WorkWell in your own area')
  })
})
