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
})
