import { describe, expect, it } from 'vitest'
import { footprint } from '../../../src/triage/footprint.ts'
import type { FootprintTest, PartnershipArea, ResolvedRules } from '../../../src/triage/rules.ts'
import { facts } from './rules-fixture.ts'

// docs/hazard-log.md H15, H16: the footprint decision on its own, test by test
const area: PartnershipArea = { name: 'Test WorkWell', practices: ['P00001'], postcodeDistricts: ['N7', 'BL7'], straddlingDistricts: ['BL7'] }
const rulesWith = (tests: FootprintTest[]): ResolvedRules => ({ footprint: { id: 'p/footprint', tests } }) as unknown as ResolvedRules
const IN_AREA = 'P00001'
const OUTSIDE = 'A83008'

describe('footprint', () => {
  it('is inside by registration when the rules test it and the practice is the area\'s', () => {
    expect(footprint(facts({ postcode: 'LS1 4AP', registeredPracticeOds: IN_AREA }), rulesWith(['registration']), area)).toStrictEqual({ status: 'inside', by: 'registration' })
    expect(footprint(facts({ postcode: 'LS1 4AP', registeredPracticeOds: IN_AREA }), rulesWith(['residence', 'registration']), area)).toStrictEqual({ status: 'inside', by: 'registration' })
  })

  it('does not take registration when the rules test residence only, and the person lives outside', () => {
    expect(footprint(facts({ postcode: 'LS1 4AP', registeredPracticeOds: IN_AREA }), rulesWith(['residence']), area)).toStrictEqual({ status: 'outside', area: 'the Test WorkWell area' })
  })

  it('asks for an address inside a straddling district only when the rules test residence', () => {
    expect(footprint(facts({ postcode: 'BL7 9AA', registeredPracticeOds: OUTSIDE }), rulesWith(['residence'])
      , area)).toStrictEqual({ status: 'unknown', missing: ['address-in-straddling-district'] })
    expect(footprint(facts({ postcode: 'BL7 9AA', registeredPracticeOds: OUTSIDE }), rulesWith(['registration']), area)).toStrictEqual({ status: 'outside', area: 'the Test WorkWell area' })
  })

  it('is outside when registration is tested and fails, even with a home in an ordinary district of the area', () => {
    expect(footprint(facts({ postcode: 'N7 6LB', registeredPracticeOds: OUTSIDE }), rulesWith(['registration']), area)).toStrictEqual({ status: 'outside', area: 'the Test WorkWell area' })
  })
})
