import { describe, expect, it } from 'vitest'
import { timeOrderedIds } from '../../src/time-ordered-id.ts'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('timeOrderedIds', () => {
  it('makes RFC 9562 version 7 UUIDs whose first 48 bits are the milliseconds', () => {
    const ms = Date.UTC(2026, 10, 30, 18, 0, 0, 123)
    const id = timeOrderedIds(() => ms)()
    expect(id).toMatch(V7)
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms)
  })

  it('sorts ids from later milliseconds after earlier ones, as text', () => {
    let ms = Date.UTC(2026, 0, 1)
    const next = timeOrderedIds(() => ms)
    const ids: string[] = []
    for (let i = 0; i < 2000; i++) {
      ids.push(next())
      ms += 1 + (i % 7) * 1000
    }
    expect([...ids].sort()).toStrictEqual(ids)
  })

  it('gives distinct ids within one millisecond and across refills of its random pool', () => {
    const next = timeOrderedIds(() => 1_700_000_000_000)
    const ids = new Set<string>()
    for (let i = 0; i < 5000; i++) ids.add(next())
    expect(ids.size).toBe(5000)
    for (const id of ids) expect(id).toMatch(V7)
  })

  it('spreads its random bits: every hex digit appears in the random part', () => {
    const next = timeOrderedIds(() => 0)
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) for (const c of next().slice(24)) seen.add(c)
    expect(seen.size).toBe(16)
  })
})
