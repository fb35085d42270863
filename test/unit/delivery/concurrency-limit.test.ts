import { describe, expect, it } from 'vitest'
import { createConcurrencyLimits, DEFAULT_LIMITS, limitSignal } from '../../../src/delivery/concurrency-limit.ts'

const POLICY = { ...DEFAULT_LIMITS, max: 20 }

/** Keeps a partner as busy as its limit allows for n answers; answer(i) says how the i-th went. */
function steady (n: number, answer: (i: number) => boolean): number {
  const l = createConcurrencyLimits(POLICY)
  for (let i = 0; i < n; i++) {
    while (l.free('p') > 0) l.acquire('p')
    l.release('p', answer(i) ? 'success' : 'drop')
  }
  return l.limit('p')
}

describe('adaptive concurrency (AIMD on the success rate) per partnership', () => {
  it('starts at max, counts slots in flight, and keeps partnerships apart', () => {
    const l = createConcurrencyLimits(POLICY)
    expect(l.free('a')).toBe(20)
    l.acquire('a')
    l.acquire('a')
    expect(l.free('a')).toBe(18)
    expect(l.free('b')).toBe(20)
  })

  it('halves after a window of answers below the target success rate, never below min', () => {
    const l = createConcurrencyLimits(POLICY)
    // a window is at least the limit (20) answers
    for (let i = 0; i < 19; i++) { l.acquire('a'); l.release('a', 'drop') }
    expect(l.limit('a')).toBe(20)
    l.acquire('a'); l.release('a', 'drop')
    expect(l.limit('a')).toBe(10)
    for (let i = 0; i < 200; i++) { l.acquire('a'); l.release('a', 'drop') }
    expect(l.limit('a')).toBe(1)
  })

  it('grows by one per good window, only while at least half the limit is in use; ignores what was never sent', () => {
    const l = createConcurrencyLimits(POLICY)
    for (let i = 0; i < 200; i++) { l.acquire('a'); l.release('a', 'drop') }
    expect(l.limit('a')).toBe(1)
    // busy (1 in flight of 1): ten answers at a 100 % success rate add one
    for (let i = 0; i < 10; i++) { l.acquire('a'); l.release('a', 'success') }
    expect(l.limit('a')).toBe(2)
    for (let i = 0; i < 50; i++) { l.acquire('a'); l.release('a', 'ignore') }
    expect(l.limit('a')).toBe(2)
  })

  it('keeps a partner answering 40 % at its maximum, and shrinks one answering 10 % to the floor', () => {
    expect(steady(2_000, (i) => i % 5 >= 3)).toBe(20)
    expect(steady(2_000, (i) => i % 10 === 0)).toBe(1)
    expect(steady(2_000, () => false)).toBe(1)
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
