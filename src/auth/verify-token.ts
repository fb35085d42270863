import { readFile } from 'node:fs/promises'
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose'
import type { IssuerConfig } from './auth-config.ts'
import { principalFromClaims, type Principal } from './principal.ts'

/** Only asymmetric algorithms: a shared-secret HS256 key could mint tokens too (RFC 8725 §3.1). */
export const ALGORITHMS = ['RS256', 'ES256'] as const

export interface TrustedIssuer {
  issuer: string
  keys: JWTVerifyGetKey
}

export interface VerifierOptions {
  audience: string
  clockSkewSeconds: number
  /** the clock tokens are judged by */
  now: () => Date
}

/** Why a token was refused: `error_description` for WWW-Authenticate (RFC 6750 §3), never the token's content. */
export type Verdict = { ok: true, principal: Principal, claims: TimeClaims } | { ok: false, reason: string }

/** A verified token's validity window, NumericDate seconds (RFC 7519 §2): what a cached verdict is re-judged by. */
export interface TimeClaims {
  exp: number
  nbf?: number
}

export type TokenVerifier = (token: string) => Promise<Verdict>

/** Reads each issuer's JWKS: a file now (a bad one stops the start), a URL lazily through jose's cache. */
export async function loadTrustedIssuers (issuers: readonly IssuerConfig[]): Promise<TrustedIssuer[]> {
  const out: TrustedIssuer[] = []
  for (const i of issuers) {
    if (i.jwks.kind === 'url') {
      out.push({ issuer: i.issuer, keys: createRemoteJWKSet(new URL(i.jwks.url), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 }) })
      continue
    }
    let jwks: unknown
    try {
      jwks = JSON.parse(await readFile(i.jwks.path, 'utf8'))
    } catch (err) {
      throw new Error(`JWKS for issuer ${i.issuer}: ${i.jwks.path}: ${(err as Error).message}`)
    }
    if (jwks === null || typeof jwks !== 'object' || !Array.isArray((jwks as { keys?: unknown }).keys)) {
      throw new Error(`JWKS for issuer ${i.issuer}: ${i.jwks.path} is not a JSON Web Key Set (RFC 7517 §5)`)
    }
    out.push({ issuer: i.issuer, keys: createLocalJWKSet(jwks as JSONWebKeySet) })
  }
  return out
}

/** A message for a refused token, naming the check that failed (RFC 7519 §4.1). */
function describe (err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired'
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf': return 'the token is not valid yet'
      case 'aud': return 'the token is for another audience'
      case 'iss': return 'the token is from an issuer this gateway does not trust'
      case 'iat': return 'the token was issued in the future'
      case 'exp': return 'the token has no valid expiry'
      default: return `the token's ${err.claim} claim is not acceptable`
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return `the token is signed with an algorithm this gateway does not accept (only ${ALGORITHMS.join(', ')})`
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token\'s signature does not verify'
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key of the issuer matches the token'
  if (err instanceof errors.JWKSTimeout) return 'the issuer\'s keys could not be fetched in time'
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'the token is not a well-formed signed JWT'
  return 'the token could not be verified'
}

/**
 * Verifies a bearer JWT: signature (RS256/ES256) with the issuer's keys, then iss, aud, exp
 * and nbf with a small clock skew (RFC 7519 §4.1.3-§4.1.5); exp is required. The issuer is
 * read first (unverified) only to choose its key set; jwtVerify then checks it again.
 */
export function createTokenVerifier (trusted: readonly TrustedIssuer[], options: VerifierOptions): TokenVerifier {
  const byIssuer = new Map(trusted.map((t) => [t.issuer, t]))
  return async (token) => {
    let iss: unknown
    try {
      const header = decodeProtectedHeader(token)
      if (typeof header.alg !== 'string' || !(ALGORITHMS as readonly string[]).includes(header.alg)) {
        return { ok: false, reason: `the token is signed with an algorithm this gateway does not accept (only ${ALGORITHMS.join(', ')})` }
      }
      iss = decodeJwt(token).iss
    } catch {
      return { ok: false, reason: 'the token is not a well-formed signed JWT' }
    }
    const issuer = typeof iss === 'string' ? byIssuer.get(iss) : undefined
    if (issuer === undefined) return { ok: false, reason: 'the token is from an issuer this gateway does not trust' }
    try {
      const { payload } = await jwtVerify(token, issuer.keys, {
        issuer: issuer.issuer,
        audience: options.audience,
        algorithms: [...ALGORITHMS],
        clockTolerance: options.clockSkewSeconds,
        currentDate: options.now(),
        requiredClaims: ['exp']
      })
      const p = principalFromClaims(payload)
      if (!p.ok) return p
      // jwtVerify has checked both are numbers, and requiredClaims that exp is present
      const claims: TimeClaims = { exp: Number(payload.exp), ...(payload.nbf === undefined ? {} : { nbf: payload.nbf }) }
      return { ok: true, principal: Object.freeze(p.principal), claims }
    } catch (err) {
      return { ok: false, reason: describe(err) }
    }
  }
}
