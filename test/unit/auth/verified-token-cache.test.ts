import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheVerifiedTokens } from '../../../src/auth/verified-token-cache.ts'
import { createTokenVerifier, loadTrustedIssuers, type TokenVerifier } from '../../../src/auth/verify-token.ts'
import { createTestIssuer, roleClaims, type TestIssuer } from '../../helpers/tokens.ts'

const AUDIENCE = 'https://gateway.test/fhir'
const T0 = new Date('2026-06-01T12:00:00Z').getTime()

let dir: string
let issuer: TestIssuer
let real: TokenVerifier

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'workwell-token-cache-'))
  issuer = await createTestIssuer({ audience: AUDIENCE, alg: 'ES256' })
  const trusted = await loadTrustedIssuers([{ issuer: issuer.issuer, jwks: { kind: 'file', path: issuer.writeJwks(dir) } }])
  // the real verifier judges by the same moving clock as the cache
  real = createTokenVerifier(trusted, { audience: AUDIENCE, clockSkewSeconds: 30, now: () => new Date(clock.now) })
})

afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

const clock = { now: T0 }
const referrer = roleClaims({ roles: ['referrer'], ods: ['A81001'] })

/** The real verifier behind the cache, counting how often it is asked. */
function counted (): { verify: TokenVerifier, calls: () => number } {
  let n = 0
  return { verify: async (token) => { n++; return real(token) }, calls: () => n }
}

function cached (inner: TokenVerifier, maxEntries = 100, maxAgeMs = 60_000): TokenVerifier {
  return cacheVerifiedTokens(inner, { now: () => new Date(clock.now), clockSkewSeconds: 30, maxEntries, maxAgeMs })
}

describe('cacheVerifiedTokens', () => {
  it('verifies a token once and answers its later uses from memory', async () => {
    clock.now = T0
    const inner = counted()
    const verify = cached(inner.verify)
    const token = await issuer.sign(referrer, { now: new Date(T0) })
    const first = await verify(token)
    const second = await verify(token)
    expect(first.ok && second.ok).toBe(true)
    if (first.ok && second.ok) expect(second.principal).toBe(first.principal)
    expect(inner.calls()).toBe(1)
    expect(Object.isFrozen(first.ok ? first.principal : undefined)).toBe(true)
  })

  it('refuses a remembered token once it expires, with the same reason as a fresh check', async () => {
    clock.now = T0
    const inner = counted()
    const verify = cached(inner.verify, 100, 600_000)
    const token = await issuer.sign(referrer, { now: new Date(T0), ttlSeconds: 40 })
    expect((await verify(token)).ok).toBe(true)
    clock.now = T0 + 65_000 // exp + 25 s: still inside the 30 s skew
    expect((await verify(token)).ok).toBe(true)
    expect(inner.calls()).toBe(1)
    clock.now = T0 + 71_000 // exp + 31 s
    const late = await verify(token)
    expect(late).toStrictEqual({ ok: false, reason: 'the token has expired' })
    expect(inner.calls()).toBe(2)
  })

  it('checks the signature again after maxAge, and never remembers a refusal', async () => {
    clock.now = T0
    const inner = counted()
    const verify = cached(inner.verify, 100, 1000)
    const token = await issuer.sign(referrer, { now: new Date(T0) })
    await verify(token)
    clock.now = T0 + 1500
    expect((await verify(token)).ok).toBe(true)
    expect(inner.calls()).toBe(2)
    const [h, p] = token.split('.')
    const forged = `${h}.${p}.${'A'.repeat(86)}`
    expect((await verify(forged)).ok).toBe(false)
    expect((await verify(forged)).ok).toBe(false)
    expect(inner.calls()).toBe(4)
  })

  it('does not let a remembered token vouch for a different one', async () => {
    clock.now = T0
    const verify = cached(real)
    const token = await issuer.sign(referrer, { now: new Date(T0) })
    expect((await verify(token)).ok).toBe(true)
    // same header and signature, another payload: a new key in the cache, verified and refused
    const [h, , s] = token.split('.')
    const other = Buffer.from(JSON.stringify({ ...referrer, iss: issuer.issuer, aud: AUDIENCE, exp: 9_999_999_999, ods: ['Y99999'] })).toString('base64url')
    expect(await verify(`${h}.${other}.${s}`)).toStrictEqual({ ok: false, reason: 'the token\'s signature does not verify' })
  })

  it('forgets the oldest token when full, and remembers nothing with maxEntries 0', async () => {
    clock.now = T0
    const inner = counted()
    const verify = cached(inner.verify, 2)
    const tokens = await Promise.all([1, 2, 3].map(async (i) => issuer.sign({ ...referrer, jti: `t${i}` }, { now: new Date(T0) })))
    for (const t of tokens) await verify(t)
    expect(inner.calls()).toBe(3)
    await verify(tokens[2] ?? '')
    await verify(tokens[1] ?? '')
    expect(inner.calls()).toBe(3)
    await verify(tokens[0] ?? '')
    expect(inner.calls()).toBe(4)
    const none = counted()
    const off = cached(none.verify, 0)
    await off(tokens[0] ?? '')
    await off(tokens[0] ?? '')
    expect(none.calls()).toBe(2)
  })
})
