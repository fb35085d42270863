import { describe, expect, it } from 'vitest'
import { createCircuitBreakers } from '../../../src/delivery/circuit-breaker.ts'
import type { CircuitRecord } from '../../../src/store/store.ts'

const T = Date.parse('2026-11-20T10:00:00.000Z')
const at = (ms: number): Date => new Date(T + ms)

function breakers (): { b: ReturnType<typeof createCircuitBreakers>, changes: CircuitRecord[] } {
  const changes: CircuitRecord[] = []
  const b = createCircuitBreakers({ failureThreshold: 3, openMs: 1_000, maxOpenMs: 3_000 }, (r) => { changes.push(r) })
  return { b, changes }
}

describe('circuit breakers', () => {
  it('stay closed below the threshold, and a success resets the count', () => {
    const { b, changes } = breakers()
    for (let i = 0; i < 2; i++) b.record('p', b.admit('p', at(0)) as 'send', 'failure', at(0))
    b.record('p', 'send', 'success', at(0))
    for (let i = 0; i < 2; i++) b.record('p', 'send', 'failure', at(0))
    expect(b.admit('p', at(0))).toBe('send')
    expect(b.blocked(at(0))).toEqual([])
    expect(changes).toEqual([])
  })

  it('open at the threshold, deny until openMs, then admit exactly one probe', () => {
    const { b, changes } = breakers()
    for (let i = 0; i < 3; i++) b.record('p', 'send', 'failure', at(0))
    expect(changes.at(-1)).toMatchObject({ partnershipId: 'p', state: 'open', consecutiveFailures: 3, openUntil: at(1_000).toISOString() })
    expect(b.admit('p', at(999))).toBe('deny')
    expect(b.blocked(at(999))).toEqual(['p'])
    expect(b.probeDue(at(999))).toEqual([])
    expect(b.retryAt('p', at(10))).toEqual(at(1_000))

    expect(b.probeDue(at(1_000))).toEqual(['p'])
    expect(b.admit('p', at(1_000))).toBe('probe')
    expect(changes.at(-1)).toMatchObject({ state: 'half-open' })
    expect(b.admit('p', at(1_000))).toBe('deny')
    expect(b.probeDue(at(1_000))).toEqual([])
    expect(b.blocked(at(1_000))).toEqual(['p'])
  })

  it('a failed probe reopens for twice as long, capped; a good probe closes', () => {
    const { b, changes } = breakers()
    for (let i = 0; i < 3; i++) b.record('p', 'send', 'failure', at(0))
    b.record('p', b.admit('p', at(1_000)) as 'probe', 'failure', at(1_000))
    expect(changes.at(-1)).toMatchObject({ state: 'open', openUntil: at(3_000).toISOString() })
    b.record('p', b.admit('p', at(3_000)) as 'probe', 'failure', at(3_000))
    expect(changes.at(-1)).toMatchObject({ state: 'open', openUntil: at(6_000).toISOString() })
    b.record('p', b.admit('p', at(6_000)) as 'probe', 'success', at(6_000))
    expect(changes.at(-1)).toMatchObject({ state: 'closed', consecutiveFailures: 0 })
    expect(b.admit('p', at(6_000))).toBe('send')
    // the next opening starts again from openMs
    for (let i = 0; i < 3; i++) b.record('p', 'send', 'failure', at(7_000))
    expect(changes.at(-1)).toMatchObject({ openUntil: at(8_000).toISOString() })
  })

  it('ignores late results of requests admitted before the circuit opened', () => {
    const { b } = breakers()
    for (let i = 0; i < 3; i++) b.record('p', 'send', 'failure', at(0))
    b.record('p', 'send', 'success', at(10))
    expect(b.admit('p', at(10))).toBe('deny')
  })

  it('keeps partnerships apart and reports a snapshot', () => {
    const { b } = breakers()
    for (let i = 0; i < 3; i++) b.record('down', 'send', 'failure', at(0))
    b.record('up', 'send', 'success', at(0))
    expect(b.admit('up', at(0))).toBe('send')
    expect(b.snapshot(at(0)).map((c) => [c.partnershipId, c.state])).toEqual([['down', 'open'], ['up', 'closed']])
    expect(b.snapshot(at(1_000)).map((c) => c.state)).toEqual(['half-open', 'closed'])
  })

  it('restores recorded state: open stays open until its time, an interrupted half-open probes at once', () => {
    const { b } = breakers()
    b.restore([
      { partnershipId: 'a', state: 'open', consecutiveFailures: 4, openUntil: at(500).toISOString(), updatedAt: at(0).toISOString() },
      { partnershipId: 'b', state: 'half-open', consecutiveFailures: 4, updatedAt: at(0).toISOString() },
      { partnershipId: 'c', state: 'closed', consecutiveFailures: 0, updatedAt: at(0).toISOString() }
    ])
    expect(b.admit('a', at(0))).toBe('deny')
    expect(b.admit('b', at(0))).toBe('probe')
    expect(b.admit('c', at(0))).toBe('send')
    expect(b.admit('a', at(500))).toBe('probe')
  })
})
