import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWTPayload } from 'jose'

/** A token issuer made for one test: a real key pair, its public JWKS, and a signer. */
export interface TestIssuer {
  issuer: string
  alg: 'RS256' | 'ES256'
  kid: string
  jwks: JSONWebKeySet
  privateKey: CryptoKey
  /** writes the public JWKS to a file and returns its path */
  writeJwks: (dir: string, name?: string) => string
  /** signs a token; claims override the defaults (iss, aud, iat, nbf, exp five minutes on) */
  sign: (claims: JWTPayload, options?: SignOptions) => Promise<string>
}

export interface SignOptions {
  /** the instant iat and nbf are set to (default now) */
  now?: Date
  /** seconds from now to exp (default 300) */
  ttlSeconds?: number
  /** leave exp out */
  noExp?: boolean
  /** header overrides, e.g. another kid */
  header?: Record<string, unknown>
}

export async function createTestIssuer (options: { issuer?: string, alg?: 'RS256' | 'ES256', audience: string }): Promise<TestIssuer> {
  const alg = options.alg ?? 'RS256'
  const issuer = options.issuer ?? `https://idp.test/${randomUUID()}`
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const kid = randomUUID()
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] }
  return {
    issuer,
    alg,
    kid,
    jwks,
    privateKey,
    writeJwks: (dir, name = `jwks-${kid}.json`) => {
      const file = path.join(dir, name)
      writeFileSync(file, JSON.stringify(jwks))
      return file
    },
    sign: async (claims, o = {}) => {
      const iat = Math.floor((o.now ?? new Date()).getTime() / 1000)
      const base: JWTPayload = { iss: issuer, aud: options.audience, iat, nbf: iat, ...(o.noExp === true ? {} : { exp: iat + (o.ttlSeconds ?? 300) }) }
      return new SignJWT({ ...base, ...claims })
        .setProtectedHeader({ alg, typ: 'JWT', kid, ...o.header })
        .sign(privateKey)
    }
  }
}

/** Claims for a client holding roles bound to ODS codes and partnerships. */
export function roleClaims (o: { client?: string, roles: Array<'referrer' | 'partnership' | 'operator'>, ods?: string[], partnership?: string[] }): JWTPayload {
  return {
    sub: o.client ?? `client-${o.roles.join('-')}`,
    scope: o.roles.map((r) => `workwell/${r}`).join(' '),
    ...(o.ods === undefined ? {} : { ods: o.ods }),
    ...(o.partnership === undefined ? {} : { partnership: o.partnership })
  }
}

const REPO_ROOT = path.resolve(import.meta.dirname, '../..')
const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code'

function walk (dir: string, ext: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) walk(full, ext, out)
    else if (e.name.endsWith(ext)) out.push(full)
  }
  return out
}

function odsValues (value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) { for (const v of value) odsValues(v, out); return }
  if (value === null || typeof value !== 'object') return
  const o = value as Record<string, unknown>
  if (o.system === ODS_SYSTEM && typeof o.value === 'string') out.add(o.value.trim().toUpperCase())
  for (const v of Object.values(o)) odsValues(v, out)
}

let odsCache: string[] | undefined

/**
 * Every ODS code the tests refer for: those in the fixtures, the partnerships' practices, and
 * practice codes the tests write themselves (e.g. an unroutable practice), so the default test
 * client may send any of them.
 */
export function fixtureOdsCodes (): string[] {
  if (odsCache !== undefined) return odsCache
  const codes = new Set<string>()
  for (const file of [...walk(path.join(REPO_ROOT, 'fixtures'), '.json'), ...walk(path.join(REPO_ROOT, 'mappings'), 'partnership.json')]) {
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown
      odsValues(doc, codes)
      const practices = (doc as { practices?: unknown }).practices
      if (Array.isArray(practices)) for (const p of practices) if (typeof p === 'string') codes.add(p)
    } catch { /* not JSON: no codes */ }
  }
  for (const file of walk(path.join(REPO_ROOT, 'test'), '.ts')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"]([A-Z]\d{5})['"]/g)) if (m[1] !== undefined) codes.add(m[1])
  }
  odsCache = [...codes].filter((c) => /^[A-Z0-9]{3,10}$/.test(c)).sort()
  return odsCache
}

/** The test client: every role, every fixture ODS code, every partnership (existing tests call as it). */
export function testClientClaims (partnerships: string[]): JWTPayload {
  return roleClaims({ client: 'test-client', roles: ['referrer', 'partnership', 'operator'], ods: fixtureOdsCodes(), partnership: partnerships })
}

const defaultTokens = new Map<string, string>()

/** The token call() sends to an origin when a test gives no Authorization header. */
export function setDefaultToken (origin: string, token: string): void {
  defaultTokens.set(origin, token)
}

export function defaultTokenFor (url: string): string | undefined {
  try {
    return defaultTokens.get(new URL(url).origin)
  } catch {
    return undefined
  }
}
