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

/**
 * What signs a gateway's tokens and what it binds them to: registered for the gateway's origin
 * when it starts, so a helper given only a URL can still sign for it.
 */
export interface TokenSource {
  issuer: TestIssuer
  /** the gateway's partnership ids */
  partnershipIds: readonly string[]
}

export type TestRole = 'referrer' | 'partnership' | 'operator'

/** The organisations a role's token is bound to; a list or a single code / id. */
export interface Binding {
  ods?: string | string[]
  partnership?: string | string[]
  /** the client id (default test-client, the sender testSender() names) */
  client?: string
}

const sources = new Map<string, TokenSource>()

/** Registers a started gateway's token source under its origin (startGateway, spawnServer). */
export function registerTokenSource (origin: string, source: TokenSource): void {
  sources.set(origin, source)
}

/** A gateway (or spawned server) whose issuer the helper configured, or any URL on it. */
export type TokenTarget = string | { issuer?: TestIssuer, partnershipIds: readonly string[] }

function sourceOf (target: TokenTarget): TokenSource {
  if (typeof target !== 'string') {
    if (target.issuer === undefined) throw new Error('this server trusts no test issuer')
    return { issuer: target.issuer, partnershipIds: target.partnershipIds }
  }
  let origin: string
  try { origin = new URL(target).origin } catch { throw new Error(`not a URL: ${target}`) }
  const source = sources.get(origin)
  if (source === undefined) throw new Error(`no test gateway with a token issuer at ${origin}`)
  return source
}

const list = (v: string | string[] | undefined): string[] | undefined => v === undefined ? undefined : Array.isArray(v) ? v : [v]
const signed = new Map<string, Promise<string>>()

/**
 * A token holding exactly one role. A referrer is bound to the given ODS codes (default: every
 * code the fixtures and tests refer for), a partnership to the given ids (default: every
 * partnership of the gateway); an operator to nothing.
 * @param target - a gateway (or its token source), or any URL on it
 */
export async function tokenFor (target: TokenTarget, role: TestRole, binding: Binding = {}): Promise<string> {
  const source = sourceOf(target)
  const claims = roleClaims({
    client: binding.client ?? 'test-client',
    roles: [role],
    ...(role === 'referrer' ? { ods: list(binding.ods) ?? fixtureOdsCodes() } : {}),
    ...(role === 'partnership' ? { partnership: list(binding.partnership) ?? [...source.partnershipIds] } : {})
  })
  // one token per issuer and claims: signing is cheap, but tests call thousands of times
  const key = `${source.issuer.issuer}|${JSON.stringify(claims)}`
  let token = signed.get(key)
  if (token === undefined) {
    token = source.issuer.sign(claims, { ttlSeconds: 3600 })
    signed.set(key, token)
  }
  return token
}

/** The Authorization header of a token. */
export function bearer (token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

/** Headers of a referrer (default: bound to every fixture ODS code). */
export async function asReferrer (target: TokenTarget, ods?: string | string[]): Promise<{ authorization: string }> {
  return bearer(await tokenFor(target, 'referrer', { ods }))
}

/** Headers of a partnership (default: every partnership of the gateway). */
export async function asPartnership (target: TokenTarget, partnership?: string | string[]): Promise<{ authorization: string }> {
  return bearer(await tokenFor(target, 'partnership', { partnership }))
}

/** Headers of an operator. */
export async function asOperator (target: TokenTarget): Promise<{ authorization: string }> {
  return bearer(await tokenFor(target, 'operator'))
}
