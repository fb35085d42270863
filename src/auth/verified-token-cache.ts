import type { TimeClaims, TokenVerifier, Verdict } from './verify-token.ts'

export interface TokenCacheOptions {
  /** the clock tokens are judged by (the verifier's own) */
  now: () => Date
  clockSkewSeconds: number
  /** most tokens remembered; the oldest is forgotten first */
  maxEntries: number
  /**
   * How long a verified signature is trusted without checking it again. It bounds how late a
   * key withdrawn from an issuer's JWKS stops being honoured (jose's remote key set is itself
   * cached for 10 minutes, loadTrustedIssuers).
   */
  maxAgeMs: number
}

interface Entry {
  verdict: Extract<Verdict, { ok: true }>
  verifiedAt: number
}

/**
 * Remembers tokens whose signature and claims verified, keyed by the exact token text, so a
 * client that sends the same bearer token on every request pays for one signature check
 * (ES256/RS256 verification was ~17% of the event loop and a thread-pool job per request in the
 * gateway's intake CPU profile). A remembered token is still judged on every use by exp and nbf
 * (RFC 7519 §4.1.4-§4.1.5, with the same skew); one that has run out is verified afresh, so the
 * refusal names the same check. Refusals are never remembered.
 */
export function cacheVerifiedTokens (verify: TokenVerifier, options: TokenCacheOptions): TokenVerifier {
  const entries = new Map<string, Entry>()
  return async (token) => {
    const nowMs = options.now().getTime()
    const hit = entries.get(token)
    if (hit !== undefined) {
      if (nowMs - hit.verifiedAt <= options.maxAgeMs && inWindow(hit.verdict.claims, nowMs, options.clockSkewSeconds)) return hit.verdict
      entries.delete(token)
    }
    const verdict = await verify(token)
    if (verdict.ok && options.maxEntries > 0) {
      if (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next()
        if (oldest.done !== true) entries.delete(oldest.value)
      }
      entries.set(token, { verdict, verifiedAt: nowMs })
    }
    return verdict
  }
}

/** jose's own tests (jwt_claims_set.js): expired when exp <= now - skew, early when nbf > now + skew, in whole seconds. */
function inWindow (claims: TimeClaims, nowMs: number, skew: number): boolean {
  const now = Math.floor(nowMs / 1000)
  if (claims.exp <= now - skew) return false
  return claims.nbf === undefined || claims.nbf <= now + skew
}
