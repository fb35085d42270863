import path from 'node:path'
import { ConfigError } from '../config.ts'

/** Where an issuer's public keys come from: a JWKS file (read at start) or a JWKS URL (fetched and cached by jose). */
export type JwksSource = { kind: 'file', path: string } | { kind: 'url', url: string }

export interface IssuerConfig {
  /** the token's `iss`, compared exactly (RFC 7519 §4.1.1) */
  issuer: string
  jwks: JwksSource
}

/** Who may call, and how hard: bearer tokens, rate limits and overload refusal. */
export interface SecurityConfig {
  /** NODE_ENV=production: issuers are required, nothing is minted, partnership endpoints must be https */
  production: boolean
  /** NODE_ENV as given ('' when unset), to name it when it refuses to start */
  nodeEnv?: string
  /** trusted token issuers; empty outside production means the dev key in the data folder */
  issuers: IssuerConfig[]
  /** the `aud` every token must name (RFC 7519 §4.1.3) */
  audience: string
  /** leeway on exp and nbf, for clocks that disagree a little */
  clockSkewSeconds: number
  /** how long a verified token is trusted without checking its signature again; 0 checks every time */
  tokenCacheSeconds: number
  /** requests per client per window; 0 turns the limit off */
  rateLimitMax: number
  rateLimitWindowMs: number
  /** mean event-loop delay above which requests are refused with 503; 0 turns the check off */
  maxEventLoopDelayMs: number
  /** the longest a request may take from its first byte to the answer */
  requestTimeoutMs: number
}

type Env = Record<string, string | undefined>

function whole (env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = (env[name] ?? '').trim()
  if (raw === '') return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${value}`)
  return value
}

function jwksSource (raw: string, cwd: string, production: boolean): JwksSource {
  if (/^https?:\/\//i.test(raw)) {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new ConfigError('WORKWELL_AUTH_ISSUERS', `"${raw}" is not a URL`)
    }
    // keys fetched over plain http could be swapped in transit (RFC 8725 §3.10 names the risk)
    if (production && url.protocol !== 'https:') throw new ConfigError('WORKWELL_AUTH_ISSUERS', `a JWKS URL must be https in production, got ${url.origin}`)
    return { kind: 'url', url: url.toString() }
  }
  const file = raw.startsWith('file://') ? new URL(raw).pathname : raw
  return { kind: 'file', path: path.resolve(cwd, file) }
}

/**
 * WORKWELL_AUTH_ISSUERS: "ISSUER=JWKS, ISSUER=JWKS". The issuer is split at its last "=" so a
 * query string in the issuer is kept; each issuer may appear once.
 */
export function parseIssuers (raw: string, cwd: string, production: boolean): IssuerConfig[] {
  const out: IssuerConfig[] = []
  for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const at = part.lastIndexOf('=')
    const issuer = at < 0 ? '' : part.slice(0, at).trim()
    const jwks = at < 0 ? '' : part.slice(at + 1).trim()
    if (issuer === '' || jwks === '') throw new ConfigError('WORKWELL_AUTH_ISSUERS', `expected ISSUER=JWKS, got "${part}"`)
    if (out.some((i) => i.issuer === issuer)) throw new ConfigError('WORKWELL_AUTH_ISSUERS', `issuer "${issuer}" is listed twice`)
    out.push({ issuer, jwks: jwksSource(jwks, cwd, production) })
  }
  return out
}

/**
 * Reads the security settings. A missing issuer list is not an error here (the CLI's offline
 * commands need none); the server refuses to start without one in production (auth-setup.ts).
 */
/** NODE_ENV values that mean development: unset, development, test. Anything else is production. */
export const DEVELOPMENT_ENVS: ReadonlySet<string> = new Set(['', 'development', 'test'])

export function loadSecurityConfig (env: Env, cwd: string, baseUrl: string): SecurityConfig {
  const nodeEnv = (env.NODE_ENV ?? '').trim()
  // development only when asked for by name (or NODE_ENV unset): a typo or another stage name
  // ("prod", "Production", "staging") must never trust a key in the data folder
  const production = !DEVELOPMENT_ENVS.has(nodeEnv)
  const audience = (env.WORKWELL_AUTH_AUDIENCE ?? '').trim() || baseUrl
  return {
    production,
    nodeEnv,
    issuers: parseIssuers(env.WORKWELL_AUTH_ISSUERS ?? '', cwd, production),
    audience,
    clockSkewSeconds: whole(env, 'WORKWELL_AUTH_CLOCK_SKEW_S', 30, 0, 300),
    tokenCacheSeconds: whole(env, 'WORKWELL_AUTH_TOKEN_CACHE_S', 60, 0, 600),
    rateLimitMax: whole(env, 'WORKWELL_RATE_LIMIT', 6000, 0, 10_000_000),
    rateLimitWindowMs: whole(env, 'WORKWELL_RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000),
    maxEventLoopDelayMs: whole(env, 'WORKWELL_MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 600_000),
    requestTimeoutMs: whole(env, 'WORKWELL_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000)
  }
}
