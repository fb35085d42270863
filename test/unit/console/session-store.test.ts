import { describe, expect, it } from 'vitest'
import { sameToken, SessionStore } from '../../../src/console/session-store.ts'

function store (limits: Partial<{ idleMs: number, absoluteMs: number, maxSessions: number }> = {}): { sessions: SessionStore, advance: (ms: number) => void } {
  let now = 1_000_000
  const sessions = new SessionStore({ idleMs: 60_000, absoluteMs: 3_600_000, maxSessions: 100, ...limits }, () => now)
  return { sessions, advance: (ms) => { now += ms } }
}

describe('SessionStore', () => {
  it('makes random ids and CSRF tokens of 256 bits', () => {
    const { sessions } = store()
    const a = sessions.create()
    const b = sessions.create()
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(new Set([a.id, b.id, a.csrfToken, b.csrfToken]).size).toBe(4)
  })

  it('ends a session left idle past the limit, and keeps one in use', () => {
    const { sessions, advance } = store()
    const s = sessions.create()
    advance(59_000)
    expect(sessions.get(s.id)).toBe(s)
    advance(59_000)
    expect(sessions.get(s.id)).toBe(s)
    advance(60_001)
    expect(sessions.get(s.id)).toBeUndefined()
    expect(sessions.size).toBe(0)
  })

  it('ends any session at the absolute limit, however much it is used', () => {
    const { sessions, advance } = store({ absoluteMs: 120_000 })
    const s = sessions.create()
    for (let i = 0; i < 4; i++) { advance(30_000); expect(sessions.get(s.id)).toBeDefined() }
    advance(1)
    expect(sessions.get(s.id)).toBeUndefined()
  })

  it('renews the id and token at sign-in; the old id is dead', () => {
    const { sessions } = store()
    const s = sessions.create()
    const renewed = sessions.renew(s)
    expect(renewed.id).not.toBe(s.id)
    expect(renewed.csrfToken).not.toBe(s.csrfToken)
    expect(sessions.get(s.id)).toBeUndefined()
    expect(sessions.get(renewed.id)).toBe(renewed)
  })

  it('keeps at most maxSessions, dropping the least recently used', () => {
    const { sessions } = store({ maxSessions: 2 })
    const a = sessions.create()
    const b = sessions.create()
    sessions.get(a.id)
    sessions.create()
    expect(sessions.get(b.id)).toBeUndefined()
    expect(sessions.get(a.id)).toBeDefined()
  })

  it('destroys a session on sign-out; compares tokens exactly', () => {
    const { sessions } = store()
    const s = sessions.create()
    sessions.destroy(s.id)
    expect(sessions.get(s.id)).toBeUndefined()
    expect(sameToken('abc', 'abc')).toBe(true)
    expect(sameToken('abc', 'abd')).toBe(false)
    expect(sameToken('abc', 'abcd')).toBe(false)
  })
})
