import { describe, expect, it } from 'vitest'
import { createConcurrencyLimits, limitSignal } from '../../../src/delivery/concurrency-limit.ts'

const POLICY = { max: 20, min: 1, backoffRatio: 0.9 }

describe('adaptive concurrency (AIMD) per partnership', () => {
  it('starts at max, counts slots in flight, and keeps partnerships apart', () => {
    const l = createConcurrencyLimits(POLICY)
    expect(l.free('a')).toBe(20)
    l.acquire('a')
    l.acquire('a')
    expect(l.free('a')).toBe(18)
    expect(l.free('b')).toBe(20)
  })

  it('shrinks multiplicatively on drops, never below min, and grows by one per answer while busy', () => {
    const l = createConcurrencyLimits(POLICY)
    for (let i = 0; i < 100; i++) { l.acquire('a'); l.release('a', 'drop') }
    expect(l.limit('a')).toBe(1)
    // busy: one in flight of a limit of 1
    l.acquire('a'); l.release('a', 'success')
    expect(l.limit('a')).toBe(2)
    // not busy (nothing else in flight of 2 is below half): no evidence it takes more
    l.acquire('a'); l.acquire('a'); l.release('a', 'success')
    expect(l.limit('a')).toBe(3)
    l.release('a', 'ignore')
    expect(l.limit('a')).toBe(3)
    expect(l.free('a')).toBe(3)
  })

  it('settles a partner failing 60 % of calls well above the floor, and a down one at the floor', () => {
    const steady = (failEvery: (i: number) => boolean): number => {
      const l = createConcurrencyLimits(POLICY)
      for (let i = 0; i < 2_000; i++) {
        // keep the partner as busy as its limit allows
        while (l.free('p') > 0) l.acquire('p')
        l.release('p', failEvery(i) ? 'drop' : 'success')
      }
      return l.limit('p')
    }
    expect(steady((i) => i % 5 < 3)).toBeGreaterThanOrEqual(5)
    expect(steady(() => true)).toBe(1)
    expect(steady(() => false)).toBe(20)
  })

  it('reads an attempt outcome as a capacity signal', () => {
    expect(limitSignal({ outcome: 'delivered', responseStatus: 201 })).toBe('success')
    expect(limitSignal({ outcome: 'delivered' })).toBe('ignore')
    expect(limitSignal({ outcome: 'dead-letter', responseStatus: 400 })).toBe('success')
    expect(limitSignal({ outcome: 'dead-letter', error: 'mapping failed' })).toBe('ignore')
    expect(limitSignal({ outcome: 'retry', responseStatus: 503 })).toBe('drop')
    expect(limitSignal({ outcome: 'retry', error: 'timeout (UND_ERR_HEADERS_TIMEOUT)' })).toBe('drop')
    expect(limitSignal({ outcome: 'retry', error: 'connection error (ECONNRESET)' })).toBe('drop')
    expect(limitSignal({ outcome: 'retry', error: 'internal error (TypeError)' })).toBe('ignore')
    expect(limitSignal({ outcome: 'deferred' })).toBe('ignore')
  })
})
