import { describe, expect, it } from 'vitest'
import { nearestRank, summariseOpenLoop } from '../../../bench/open-loop.ts'

describe('open-loop figures', () => {
  it('takes percentiles by nearest rank', () => {
    const sorted = Array.from({ length: 1000 }, (_, i) => i + 1)
    expect(nearestRank(sorted, 0.5)).toBe(500)
    expect(nearestRank(sorted, 0.99)).toBe(990)
    expect(nearestRank(sorted, 0.999)).toBe(999)
    expect(nearestRank([7], 0.999)).toBe(7)
    expect(nearestRank([], 0.99)).toBe(0)
  })

  it('summarises latencies in any order, and counts answers per second of the run', () => {
    // a stall: 20 requests scheduled during it all waited, and all of them count
    const latencies = [...Array.from({ length: 980 }, () => 2), ...Array.from({ length: 20 }, (_, i) => 50 - i)].reverse()
    const r = summariseOpenLoop({ sent: 1000, ok: 990, non2xx: 10, errors: 0, seconds: 2, latencies })
    expect(r).toMatchObject({ sent: 1000, ok: 990, non2xx: 10, rps: 500, p50: 2, p99: 40, p999: 49, max: 50 })
  })
})
