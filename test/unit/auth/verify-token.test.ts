import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair, SignJWT } from 'jose'
import { createTokenVerifier, loadTrustedIssuers, type TokenVerifier } from '../../../src/auth/verify-token.ts'
import { createTestIssuer, roleClaims, type TestIssuer } from '../../helpers/tokens.ts'

const AUDIENCE = 'https://gateway.test/fhir'
const NOW = new Date('2026-06-01T12:00:00Z')

let dir: string
let rs: TestIssuer
let es: TestIssuer
let stranger: TestIssuer
let verify: TokenVerifier

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'workwell-auth-'))
  rs = await createTestIssuer({ audience: AUDIENCE, alg: 'RS256' })
  es = await createTestIssuer({ audience: AUDIENCE, alg: 'ES256' })
  stranger = await createTestIssuer({ audience: AUDIENCE, issuer: rs.issuer })
  const trusted = await loadTrustedIssuers([
    { issuer: rs.issuer, jwks: { kind: 'file', path: rs.writeJwks(dir) } },
    { issuer: es.issuer, jwks: { kind: 'file', path: es.writeJwks(dir) } }
  ])
  verify = createTokenVerifier(trusted, { audience: AUDIENCE, clockSkewSeconds: 30, now: () => NOW })
})

afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

const referrer = roleClaims({ roles: ['referrer'], ods: ['A81001'] })

async function refusal (token: string): Promise<string> {
  const v = await verify(token)
  if (v.ok) throw new Error('the token was accepted')
  return v.reason
}

describe('createTokenVerifier', () => {
  it('accepts RS256 and ES256 tokens from trusted issuers and reads the principal', async () => {
    for (const issuer of [rs, es]) {
      const v = await verify(await issuer.sign(referrer, { now: NOW }))
      expect(v.ok).toBe(true)
      if (v.ok) {
        expect(v.principal.issuer).toBe(issuer.issuer)
        expect([...v.principal.roles]).toStrictEqual(['referrer'])
        expect(v.principal.odsCodes).toStrictEqual(['A81001'])
      }
    }
  })

  it('refuses an expired token, beyond the clock skew only', async () => {
    const past = new Date(NOW.getTime() - 400_000) // exp = past + 300 s = 100 s ago
    expect(await refusal(await rs.sign(referrer, { now: past }))).toBe('the token has expired')
    const justExpired = new Date(NOW.getTime() - 320_000) // 20 s ago: inside the 30 s skew
    expect((await verify(await rs.sign(referrer, { now: justExpired }))).ok).toBe(true)
  })

  it('refuses a token that is not valid yet, beyond the clock skew only', async () => {
    expect(await refusal(await rs.sign({ ...referrer, iat: undefined }, { now: new Date(NOW.getTime() + 120_000) }))).toBe('the token is not valid yet')
    expect((await verify(await rs.sign({ ...referrer, iat: undefined }, { now: new Date(NOW.getTime() + 10_000) }))).ok).toBe(true)
  })

  it('refuses a token without exp', async () => {
    expect(await refusal(await rs.sign(referrer, { now: NOW, noExp: true }))).toMatch(/exp/)
  })

  it('refuses a token for another audience', async () => {
    expect(await refusal(await rs.sign({ ...referrer, aud: 'https://other.test/fhir' }, { now: NOW }))).toBe('the token is for another audience')
  })

  it('refuses a token from an untrusted issuer', async () => {
    const other = await createTestIssuer({ audience: AUDIENCE })
    expect(await refusal(await other.sign(referrer, { now: NOW }))).toBe('the token is from an issuer this gateway does not trust')
  })

  it('refuses a token signed with another key under a trusted issuer\'s name', async () => {
    // same iss, same kid as the trusted key, but the stranger's private key
    const forged = await stranger.sign(referrer, { now: NOW, header: { kid: rs.kid } })
    expect(await refusal(forged)).toBe('the token\'s signature does not verify')
    const unknownKid = await stranger.sign(referrer, { now: NOW })
    expect(await refusal(unknownKid)).toBe('no key of the issuer matches the token')
  })

  it('refuses a tampered payload', async () => {
    const [h, , s] = (await rs.sign(referrer, { now: NOW })).split('.')
    const payload = Buffer.from(JSON.stringify({ ...referrer, iss: rs.issuer, aud: AUDIENCE, exp: 9_999_999_999, ods: ['Y99999'] })).toString('base64url')
    expect(await refusal(`${h}.${payload}.${s}`)).toBe('the token\'s signature does not verify')
  })

  it('refuses an HS256 token and an unsigned one (alg none)', async () => {
    const hs = await new SignJWT({ ...referrer, iss: rs.issuer, aud: AUDIENCE, exp: Math.floor(NOW.getTime() / 1000) + 60 })
      .setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a-shared-secret-that-anyone-could-know'))
    expect(await refusal(hs)).toMatch(/algorithm/)
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...referrer, iss: rs.issuer, aud: AUDIENCE })).toString('base64url')}.`
    expect(await refusal(none)).toMatch(/algorithm/)
  })

  it('refuses an RS384 token even from a trusted RSA key', async () => {
    const { privateKey } = await generateKeyPair('RS384')
    const t = await new SignJWT({ ...referrer, iss: rs.issuer, aud: AUDIENCE, exp: Math.floor(NOW.getTime() / 1000) + 60 })
      .setProtectedHeader({ alg: 'RS384', kid: rs.kid }).sign(privateKey)
    expect(await refusal(t)).toMatch(/algorithm/)
  })

  it('refuses garbage', async () => {
    for (const t of ['', 'abc', 'a.b.c', 'e30.e30.', '....']) expect(await refusal(t)).toMatch(/well-formed|algorithm/)
  })

  it('refuses a token whose client id is missing or not an id', async () => {
    expect(await refusal(await rs.sign({ scope: 'workwell/operator' }, { now: NOW }))).toMatch(/names no client/)
    expect(await refusal(await rs.sign({ sub: 'Jane Smith <jane@x>', scope: 'workwell/operator' }, { now: NOW }))).toMatch(/client id/)
  })

  it('fetches keys from a JWKS URL', async () => {
    const server: Server = createServer((_req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(es.jwks)) })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const port = (server.address() as { port: number }).port
      const trusted = await loadTrustedIssuers([{ issuer: es.issuer, jwks: { kind: 'url', url: `http://127.0.0.1:${port}/jwks.json` } }])
      const v = createTokenVerifier(trusted, { audience: AUDIENCE, clockSkewSeconds: 0, now: () => NOW })
      expect((await v(await es.sign(referrer, { now: NOW }))).ok).toBe(true)
    } finally {
      server.close()
    }
  })

  it('refuses to start on a JWKS file that is not a key set', async () => {
    const bad = path.join(dir, 'bad.json')
    writeFileSync(bad, '{"kty":"RSA"}')
    await expect(loadTrustedIssuers([{ issuer: 'x', jwks: { kind: 'file', path: bad } }])).rejects.toThrow(/not a JSON Web Key Set/)
    await expect(loadTrustedIssuers([{ issuer: 'x', jwks: { kind: 'file', path: path.join(dir, 'absent.json') } }])).rejects.toThrow(/absent\.json/)
  })
})
