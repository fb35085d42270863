import { describe, expect, it } from 'vitest'
import { backoffDelayMs, DEFAULT_BACKOFF } from '../../../src/delivery/backoff.ts'

const almostOne = (): number => 0.999_999

describe('backoffDelayMs', () => {
  it('uses base 1 s, factor 2 and a 10 minute cap', () => {
    expect(DEFAULT_BACKOFF).toStrictEqual({ baseMs: 1_000, factor: 2, capMs: 600_000 })
  })

  it('doubles the ceiling with each attempt (full jitter scales it by random())', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, () => 0.5))).toEqual([500, 1_000, 2_000, 4_000, 8_000])
    expect([1, 2, 3].map((n) => backoffDelayMs(n, almostOne))).toEqual([999, 1_999, 3_999])
  })

  it('can be zero: full jitter spans [0, ceiling)', () => {
    expect(backoffDelayMs(7, () => 0)).toBe(0)
  })

  it('stops growing at the cap, even for absurd attempt counts', () => {
    expect(backoffDelayMs(10, almostOne)).toBe(511_999)
    expect(backoffDelayMs(11, almostOne)).toBe(599_999)
    expect(backoffDelayMs(5_000, () => 0.5)).toBe(300_000)
  })

  it('treats attempt 0 like attempt 1 and returns whole milliseconds', () => {
    expect(backoffDelayMs(0, () => 0.5)).toBe(500)
    expect(Number.isInteger(backoffDelayMs(3, () => 0.123_456))).toBe(true)
  })

  it('honours a custom policy', () => {
    expect(backoffDelayMs(3, () => 0.5, { baseMs: 100, factor: 3, capMs: 1_000 })).toBe(450)
    expect(backoffDelayMs(4, () => 0.5, { baseMs: 100, factor: 3, capMs: 1_000 })).toBe(500)
  })
})
