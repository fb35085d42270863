import { describe, expect, it } from 'vitest'
import { ageRange, dayBounds, daysBetween, monthsRange, monthsSince } from '../../../src/triage/dates.ts'

const ON = new Date('2026-11-20T12:00:00Z')

describe('ageRange', () => {
  it('is one age for a full date, and the least and most for a partial one', () => {
    expect(ageRange('2010-11-20', ON)).toStrictEqual({ least: 16, most: 16 })
    expect(ageRange('2010-11-21', ON)).toStrictEqual({ least: 15, most: 15 })
    expect(ageRange('2010', ON)).toStrictEqual({ least: 15, most: 16 })
    expect(ageRange('2010-11', ON)).toStrictEqual({ least: 15, most: 16 })
    expect(ageRange('2010-10', ON)).toStrictEqual({ least: 16, most: 16 })
    expect(ageRange('1986', ON)).toStrictEqual({ least: 39, most: 40 })
  })

  it('refuses a month or day that does not exist, and a dateTime', () => {
    for (const bad of ['2010-13', '2010-02-30', '2010-00-10', '2010-11-20T00:00:00Z']) expect(ageRange(bad, ON), bad).toBeUndefined()
  })
})

describe('monthsRange', () => {
  it('counts whole months to the day in England, from the least to the most a partial date can mean', () => {
    expect(monthsRange('2026-05-20', ON)).toStrictEqual({ least: 6, most: 6 })
    expect(monthsRange('2026-05-21', ON)).toStrictEqual({ least: 5, most: 5 })
    expect(monthsRange('2026-05', ON)).toStrictEqual({ least: 5, most: 6 })
    expect(monthsRange('2026-12-01', ON)).toStrictEqual({ least: 0, most: 0 })
    expect(monthsSince('2026-05', ON)).toBe(6)
  })

  it('reads a dateTime as the day it was in England, not its UTC date (BST)', () => {
    // 23:30 UTC on 20 May is 00:30 on 21 May in London: 5 whole months on 20 November, not 6.
    expect(monthsRange('2026-05-20T23:30:00Z', ON)).toStrictEqual({ least: 5, most: 5 })
    expect(monthsRange('2026-05-20T23:30:00+01:00', ON)).toStrictEqual({ least: 6, most: 6 })
  })

  it('takes "today" as the day in England, not in UTC', () => {
    // 23:30 UTC on 20 June is 21 June in London, so six whole months have passed since 21 December.
    expect(monthsRange('2025-12-21', new Date('2026-06-20T23:30:00Z'))).toStrictEqual({ least: 6, most: 6 })
    expect(monthsRange('2025-12-21', new Date('2026-06-20T22:30:00Z'))).toStrictEqual({ least: 5, most: 5 })
  })

  it('is undefined for what it cannot read', () => {
    for (const bad of ['last spring', '', '20/05/2026', '2026-05-20T10:00']) expect(monthsRange(bad, ON), bad).toBeUndefined()
  })
})

describe('daysBetween', () => {
  it('counts calendar days, across the change to GMT', () => {
    expect(daysBetween('2026-11-20', '2026-12-18')).toBe(28)
    expect(daysBetween('2026-10-20', '2026-11-03')).toBe(14)
    expect(daysBetween('2026-11-20', '2026-11-20')).toBe(0)
  })

  it('gives no length for a period that ends before it starts, or a partial or unreadable date', () => {
    expect(daysBetween('2026-12-18', '2026-11-20')).toBeUndefined()
    expect(daysBetween('2026-11', '2026-12-18')).toBeUndefined()
    expect(daysBetween('2026-11-20', 'soon')).toBeUndefined()
  })
})

describe('dayBounds', () => {
  it('gives the first and last day a value can mean', () => {
    expect(dayBounds('2027-02')).toStrictEqual({ first: '2027-02-01', last: '2027-02-28' })
    expect(dayBounds('2028-02')).toStrictEqual({ first: '2028-02-01', last: '2028-02-29' })
    expect(dayBounds('2026-06-19T23:30:00Z')).toStrictEqual({ first: '2026-06-20', last: '2026-06-20' })
    expect(dayBounds('nope')).toBeUndefined()
  })
})

describe('dates that cannot be read', () => {
  const on = new Date('2026-12-06T12:00:00.000Z')

  it('answers undefined, never throws, for a dateTime that is no instant', () => {
    expect(monthsRange('2026-13-45T10:00:00Z', on)).toBeUndefined()
    expect(dayBounds('2026-11-31T25:00:00Z')).toBeUndefined()
  })

  it('answers undefined for an instant whose England day has no four-digit year', () => {
    // 23:30 at -01:00 on 31 December 9999 is 00:30 UTC on 1 January 10000
    expect(dayBounds('9999-12-31T23:30:00-01:00')).toBeUndefined()
    expect(daysBetween('2026-01-01', '9999-12-31T23:30:00-01:00')).toBeUndefined()
  })

  it('gives no months since a date that cannot be read', () => {
    expect(monthsSince('not a date', on)).toBeUndefined()
    expect(monthsSince('2026-00', on)).toBeUndefined()
  })
})

describe('dayBounds of early years', () => {
  it('writes every year with four digits', () => {
    expect(dayBounds('0999-03')).toStrictEqual({ first: '0999-03-01', last: '0999-03-31' })
  })
})
