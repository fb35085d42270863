import { describe, expect, it } from 'vitest'
import type { Partnership } from '../../../src/routing/partnership.ts'
import { buildRoutingIndex, icbOn, routeReferral } from '../../../src/routing/route-referral.ts'

function partnership (id: string, practices: string[], postcodeDistricts: string[], leadIcbs: Partnership['leadIcbs']): Partnership {
  return {
    id,
    name: `${id} WorkWell`,
    leadIcbs,
    practices,
    postcodeDistricts,
    delivery: { endpoint: `http://127.0.0.1:9090/${id}`, format: 'fhir-bundle', maxAttempts: 3 },
    sources: []
  }
}

/** QMJ until 31 March 2026, then Z9B2Z (the 1 April 2026 merger). */
const ncl = partnership('north-central-london', ['F83674', 'F83665'], ['N7', 'NW3', 'EC1A'], [
  { odsCode: 'QMJ', name: 'NHS North Central London ICB', from: '2022-07-01', to: '2026-03-31' },
  { odsCode: 'Z9B2Z', name: 'NHS West and North London', from: '2026-04-01' }
])
const cornwall = partnership('cornwall-and-isles-of-scilly', ['L82001'], ['TR18', 'pl26'], [
  { odsCode: 'QT6', name: 'NHS Cornwall and the Isles of Scilly ICB', from: '2022-07-01' }
])
const manchester = partnership('greater-manchester', ['P84001'], ['M1'], [
  { odsCode: 'QOP', name: 'NHS Greater Manchester ICB', from: '2022-07-01' }
])
const index = buildRoutingIndex([ncl, cornwall, manchester])
const AFTER = new Date('2026-11-20T10:15:00Z')

describe('buildRoutingIndex', () => {
  it('indexes practices and upper-case postcode districts', () => {
    expect(index.byPractice.get('F83665')).toBe(ncl)
    expect(index.byPractice.get('L82001')).toBe(cornwall)
    expect(index.byDistrict.get('PL26')).toBe(cornwall)
    expect(index.byDistrict.get('EC1A')).toBe(ncl)
    expect(index.byPractice.size).toBe(4)
    expect(index.byDistrict.size).toBe(6)
  })

  it('rejects a practice claimed by two partnerships', () => {
    const other = partnership('north-west-london', ['E85001', 'F83674'], ['W1A'], ncl.leadIcbs)
    expect(() => buildRoutingIndex([ncl, other])).toThrow('practice F83674 is claimed by both north-central-london and north-west-london')
  })

  it('rejects a postcode district claimed by two partnerships, whatever its case', () => {
    const other = partnership('north-west-london', ['E85001'], ['nw3'], ncl.leadIcbs)
    expect(() => buildRoutingIndex([ncl, other])).toThrow('postcode district NW3 is claimed by both north-central-london and north-west-london')
  })
})

describe('icbOn', () => {
  it('gives the ICB in force on each side of the 1 April 2026 change', () => {
    expect(icbOn(ncl, new Date('2026-03-31T12:00:00Z'))?.odsCode).toBe('QMJ')
    expect(icbOn(ncl, new Date('2026-04-01T12:00:00Z'))?.odsCode).toBe('Z9B2Z')
    expect(icbOn(ncl, new Date('2022-07-01T12:00:00Z'))?.odsCode).toBe('QMJ')
    expect(icbOn(ncl, new Date('2031-01-01T12:00:00Z'))?.odsCode).toBe('Z9B2Z')
    // the change took effect at midnight UK time, which was 23:00 UTC on 31 March (BST)
    expect(icbOn(ncl, new Date('2026-03-31T23:30:00Z'))?.odsCode).toBe('Z9B2Z')
  })

  it('gives an ICB with no end date from its start onwards', () => {
    expect(icbOn(cornwall, new Date('2026-04-01T12:00:00Z'))?.odsCode).toBe('QT6')
    expect(icbOn(cornwall, new Date('2022-07-01T12:00:00Z'))?.odsCode).toBe('QT6')
  })

  it('gives nothing before the first period starts', () => {
    expect(icbOn(ncl, new Date('2022-06-30T12:00:00Z'))).toBeUndefined()
  })
})

describe('routeReferral', () => {
  it('routes by the referring practice first', () => {
    const decision = routeReferral({ referringPracticeOds: 'F83674', registeredPracticeOds: 'L82001', postcode: 'M1 1AE' }, index, AFTER)
    expect(decision).toStrictEqual({ ok: true, partnership: ncl, icb: ncl.leadIcbs[1], by: 'referring-practice', key: 'F83674' })
  })

  it('falls back to the registered practice when the referring one is not known', () => {
    const decision = routeReferral({ referringPracticeOds: 'A99999', registeredPracticeOds: 'L82001', postcode: 'M1 1AE' }, index, AFTER)
    expect(decision).toMatchObject({ ok: true, partnership: cornwall, by: 'registered-practice', key: 'L82001' })
  })

  it('uses the registered practice when no referring practice is given', () => {
    const decision = routeReferral({ registeredPracticeOds: 'P84001', postcode: 'TR18 4AB' }, index, AFTER)
    expect(decision).toMatchObject({ ok: true, partnership: manchester, by: 'registered-practice' })
  })

  it('falls back to the postcode district when neither practice is known', () => {
    const decision = routeReferral({ referringPracticeOds: 'A99999', registeredPracticeOds: 'B88888', postcode: 'tr18 4ab' }, index, AFTER)
    expect(decision).toStrictEqual({ ok: true, partnership: cornwall, icb: cornwall.leadIcbs[0], by: 'postcode-district', key: 'TR18' })
  })

  it('routes by postcode alone, keyed by the district', () => {
    expect(routeReferral({ postcode: 'EC1A 1BB' }, index, AFTER)).toMatchObject({ ok: true, partnership: ncl, key: 'EC1A' })
  })

  it('matches a practice code written in lower case', () => {
    expect(routeReferral({ referringPracticeOds: 'f83665' }, index, AFTER)).toMatchObject({ ok: true, partnership: ncl, by: 'referring-practice' })
  })

  it('names the ICB in force on the day for a partnership whose ICB changed', () => {
    const before = routeReferral({ referringPracticeOds: 'F83674' }, index, new Date('2026-03-31T12:00:00Z'))
    const after = routeReferral({ referringPracticeOds: 'F83674' }, index, new Date('2026-04-01T12:00:00Z'))
    expect(before.ok && before.icb.odsCode).toBe('QMJ')
    expect(after.ok && after.icb.odsCode).toBe('Z9B2Z')
  })

  it('refuses when the partnership has no lead ICB on the day', () => {
    expect(routeReferral({ referringPracticeOds: 'F83674' }, index, new Date('2021-01-05T12:00:00Z'))).toStrictEqual({
      ok: false,
      reason: 'Partnership north-central-london has no lead ICB on 2021-01-05',
      expression: ['ServiceRequest.authoredOn']
    })
  })

  it('says what is missing when the referral gives nothing to route by', () => {
    expect(routeReferral({}, index, AFTER)).toStrictEqual({
      ok: false,
      reason: 'The referral names no referring practice ODS code, registered practice or home postcode, so no WorkWell partnership can be chosen',
      expression: ['ServiceRequest.requester.identifier', 'Patient.address.postalCode']
    })
  })

  it('lists everything it tried when no partnership serves the referral', () => {
    expect(routeReferral({ referringPracticeOds: 'A99999', registeredPracticeOds: 'B88888', postcode: 'SW1A 1AA' }, index, AFTER)).toStrictEqual({
      ok: false,
      reason: 'No WorkWell partnership serves referring practice A99999, registered practice B88888, postcode district SW1A',
      expression: ['ServiceRequest.requester.identifier', 'Patient.generalPractitioner', 'Patient.address.postalCode']
    })
  })

  it('reports a postcode that is not a UK postcode', () => {
    const decision = routeReferral({ postcode: 'NOT A POSTCODE' }, index, AFTER)
    expect(decision).toMatchObject({ ok: false, reason: 'No WorkWell partnership serves a postcode that is not a valid UK postcode' })
  })

  it('never routes by ICB code: two partnerships sharing an ICB stay apart', () => {
    const nwl = partnership('north-west-london', ['E85001'], ['W1A'], [
      { odsCode: 'QRV', name: 'NHS North West London ICB', from: '2022-07-01', to: '2026-03-31' },
      { odsCode: 'Z9B2Z', name: 'NHS West and North London', from: '2026-04-01' }
    ])
    const london = buildRoutingIndex([ncl, nwl])
    expect(routeReferral({ postcode: 'W1A 0AX' }, london, AFTER)).toMatchObject({ ok: true, partnership: nwl, icb: { odsCode: 'Z9B2Z' } })
    expect(routeReferral({ postcode: 'N7 6LB' }, london, AFTER)).toMatchObject({ ok: true, partnership: ncl, icb: { odsCode: 'Z9B2Z' } })
  })
})
