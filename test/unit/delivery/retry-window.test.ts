import { describe, expect, it } from 'vitest'
import { decideRetry, DEFAULT_RETRY_WINDOW_MS, type RetryFacts } from '../../../src/delivery/retry-window.ts'

const CREATED = new Date('2026-11-20T10:00:00.000Z')
const H = 3_600_000
const facts = (o: Partial<RetryFacts>): RetryFacts => ({
  createdAt: CREATED,
  now: new Date(CREATED.getTime() + H),
  attempt: 3,
  windowMs: DEFAULT_RETRY_WINDOW_MS,
  partnerDown: false,
  probeIntervalMs: 30_000,
  backoff: { baseMs: 1_000, factor: 2, capMs: 60_000 },
  random: () => 0.999,
  ...o
})

describe('retry by time', () => {
  it('defaults to five days (NHS MESH)', () => {
    expect(DEFAULT_RETRY_WINDOW_MS).toBe(120 * H)
  })

  it('retries with jittered backoff inside the window, capped', () => {
    expect(decideRetry(facts({ attempt: 1 }))).toMatchObject({ kind: 'retry', delayMs: 999 })
    expect(decideRetry(facts({ attempt: 30 }))).toMatchObject({ kind: 'retry', delayMs: 59_940 })
  })

  it('honours a longer Retry-After up to the cap', () => {
    expect(decideRetry(facts({ attempt: 1, retryAfterMs: 20_000 }))).toMatchObject({ delayMs: 20_000 })
    expect(decideRetry(facts({ attempt: 1, retryAfterMs: 10 * H }))).toMatchObject({ delayMs: 60_000 })
  })

  it('while the partner is down, waits no longer than the probe interval', () => {
    expect(decideRetry(facts({ attempt: 30, partnerDown: true }))).toMatchObject({ kind: 'retry', delayMs: 29_970 })
  })

  it('makes the last try at the end of the window, then gives up with the reason', () => {
    const end = CREATED.getTime() + DEFAULT_RETRY_WINDOW_MS
    expect(decideRetry(facts({ attempt: 30, now: new Date(end - 5_000) }))).toMatchObject({ kind: 'retry', at: new Date(end), delayMs: 5_000 })
    expect(decideRetry(facts({ now: new Date(end) }))).toEqual({ kind: 'give-up', reason: 'retry window of 5 day(s) ended' })
  })

  it('never gives up while the breaker sees the partner down', () => {
    const late = new Date(CREATED.getTime() + 10 * DEFAULT_RETRY_WINDOW_MS)
    expect(decideRetry(facts({ now: late, partnerDown: true }))).toMatchObject({ kind: 'retry' })
  })
})
