import { describe, expect, it } from 'vitest'
import { englandDate } from '../../src/england-date.ts'

describe('englandDate', () => {
  it('follows UK summer time: 23:30 UTC on 31 March 2026 is already 1 April in England', () => {
    expect(englandDate(new Date('2026-03-31T23:30:00Z'))).toBe('2026-04-01')
    expect(englandDate(new Date('2026-03-31T22:30:00Z'))).toBe('2026-03-31')
  })

  it('equals the UTC date in winter', () => {
    expect(englandDate(new Date('2026-01-15T23:59:00Z'))).toBe('2026-01-15')
  })

  it('changes at 01:00 UTC on the last Sundays of March and October', () => {
    // 29 March 2026: 00:59 UTC is 00:59 GMT; 23:00 UTC that day is already 30 March BST
    expect(englandDate(new Date('2026-03-28T23:59:59.999Z'))).toBe('2026-03-28')
    expect(englandDate(new Date('2026-03-29T22:59:59.999Z'))).toBe('2026-03-29')
    expect(englandDate(new Date('2026-03-29T23:00:00Z'))).toBe('2026-03-30')
    // 25 October 2026: BST until 01:00 UTC, then GMT, so 23:30 UTC is still the 25th
    expect(englandDate(new Date('2026-10-24T23:30:00Z'))).toBe('2026-10-25')
    expect(englandDate(new Date('2026-10-25T23:30:00Z'))).toBe('2026-10-25')
  })

  it('agrees with ICU\'s Europe/London for every half hour of 1997-2040', () => {
    const icu = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' })
    const wrong: string[] = []
    for (let ms = Date.UTC(1997, 0, 1); ms < Date.UTC(2041, 0, 1); ms += 1_800_000) {
      const at = new Date(ms)
      if (englandDate(at) !== icu.format(at)) wrong.push(at.toISOString())
    }
    expect(wrong).toStrictEqual([])
  }, 60_000)

  it('gives the ISO calendar date for any winter instant of years 0-9999, and outside them as the ISO form does', () => {
    const wrong: string[] = []
    // every 7th day from 0000 to 9999 in January and December, at 00:00 and 23:59 UTC
    for (let y = 0; y <= 9999; y += 1) {
      for (const [m, d] of [[0, 1 + (y % 28)], [11, 31 - (y % 3)]] as const) {
        for (const ms of [Date.UTC(y, m, d), Date.UTC(y, m, d, 23, 59, 59, 999)]) {
          const at = new Date(ms)
          at.setUTCFullYear(y)
          if (englandDate(at) !== at.toISOString().slice(0, 10)) wrong.push(at.toISOString())
        }
      }
    }
    expect(wrong).toStrictEqual([])
    expect(englandDate(new Date(Date.UTC(10000, 0, 1)))).toBe(new Date(Date.UTC(10000, 0, 1)).toISOString().slice(0, 10))
    const bc = new Date(Date.UTC(-1, 0, 1))
    expect(englandDate(bc)).toBe(bc.toISOString().slice(0, 10))
    expect(() => englandDate(new Date(Number.NaN))).toThrow(RangeError)
  })
})
