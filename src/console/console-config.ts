import { ConfigError } from '../config.ts'

/** OpenID Connect sign-in for the console (production): authorization code with PKCE. */
export interface ConsoleOidcConfig {
  /** the issuer URL; its discovery document is fetched at start */
  issuer: string
  clientId: string
  clientSecret: string
  /** the public URL of {console}/oidc/callback, exactly as registered with the provider */
  redirectUri: string
  scope: string
  /** the claim names roles and bindings are read from (ID token, else UserInfo) */
  claims: { roles: string, partnership: string, ods: string, name: string }
  /** an http issuer, for a provider on loopback in tests; refused in production */
  allowHttp: boolean
}

export interface ConsoleConfig {
  idleMinutes: number
  maxHours: number
  oidc?: ConsoleOidcConfig
}

type Env = Record<string, string | undefined>

function whole (env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = (env[name] ?? '').trim()
  if (raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got "${raw}"`)
  return Number(raw)
}

function claimNames (raw: string): ConsoleOidcConfig['claims'] {
  const claims = { roles: 'roles', partnership: 'partnership', ods: 'ods', name: 'name' }
  for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [key, value] = part.split('=').map((s) => s.trim())
    if (key === undefined || value === undefined || value === '' || !Object.hasOwn(claims, key)) {
      throw new ConfigError('WORKWELL_CONSOLE_OIDC_CLAIMS', `expected KEY=CLAIM pairs with keys roles, partnership, ods, name; got "${part}"`)
    }
    claims[key as keyof typeof claims] = value
  }
  return claims
}

/** Reads the console settings (idle and absolute session limits, OIDC sign-in). */
export function loadConsoleConfig (env: Env, production: boolean): ConsoleConfig {
  const idleMinutes = whole(env, 'WORKWELL_CONSOLE_IDLE_MIN', 15, 1, 720)
  const maxHours = whole(env, 'WORKWELL_CONSOLE_MAX_HOURS', 12, 1, 24)
  const issuer = (env.WORKWELL_CONSOLE_OIDC_ISSUER ?? '').trim()
  if (issuer === '') return { idleMinutes, maxHours }
  const clientId = (env.WORKWELL_CONSOLE_OIDC_CLIENT_ID ?? '').trim()
  const clientSecret = (env.WORKWELL_CONSOLE_OIDC_CLIENT_SECRET ?? '').trim()
  const redirectUri = (env.WORKWELL_CONSOLE_OIDC_REDIRECT_URI ?? '').trim()
  if (clientId === '') throw new ConfigError('WORKWELL_CONSOLE_OIDC_CLIENT_ID', 'is needed with WORKWELL_CONSOLE_OIDC_ISSUER')
  if (clientSecret === '') throw new ConfigError('WORKWELL_CONSOLE_OIDC_CLIENT_SECRET', 'is needed with WORKWELL_CONSOLE_OIDC_ISSUER')
  let issuerUrl: URL
  let redirect: URL
  try {
    issuerUrl = new URL(issuer)
  } catch {
    throw new ConfigError('WORKWELL_CONSOLE_OIDC_ISSUER', 'expected an absolute URL')
  }
  try {
    redirect = new URL(redirectUri)
  } catch {
    throw new ConfigError('WORKWELL_CONSOLE_OIDC_REDIRECT_URI', 'expected the absolute URL of /console/oidc/callback')
  }
  if (production && (issuerUrl.protocol !== 'https:' || redirect.protocol !== 'https:')) {
    throw new ConfigError('WORKWELL_CONSOLE_OIDC_ISSUER', 'the issuer and the redirect URI must be https in production')
  }
  return {
    idleMinutes,
    maxHours,
    oidc: {
      issuer,
      clientId,
      clientSecret,
      redirectUri,
      scope: (env.WORKWELL_CONSOLE_OIDC_SCOPE ?? '').trim() || 'openid profile',
      claims: claimNames(env.WORKWELL_CONSOLE_OIDC_CLAIMS ?? ''),
      allowHttp: issuerUrl.protocol === 'http:'
    }
  }
}
