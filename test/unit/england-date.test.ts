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
})
