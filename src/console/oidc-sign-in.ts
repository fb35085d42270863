import * as client from 'openid-client'
import type { Principal, Role } from '../auth/principal.ts'
import { ROLES } from '../auth/principal.ts'
import type { ConsoleOidcConfig } from './console-config.ts'
import type { ConsoleUser, PendingLogin } from './session-store.ts'

export type CallbackResult =
  | { ok: true, user: ConsoleUser }
  /** code: a short class for the log, never the provider's text (it may echo input) */
  | { ok: false, code: string, reason: string }

/**
 * Production sign-in (OpenID Connect authorization code flow with PKCE, state and nonce;
 * RFC 9700 §2.1, OIDC Core §3.1): the console is a confidential client on the server, so the
 * tokens never reach the browser (ASVS 5.0 10.1.1); the session keeps only what it needs.
 */
export interface OidcSignIn {
  /** the provider's origin (the CSP's form-action must allow redirects to it) */
  origin: string
  redirectUri: string
  /** where to send the browser, and what the callback must see again */
  start(now: number): Promise<{ url: string, pending: PendingLogin }>
  callback(currentUrl: URL, pending: PendingLogin, now: number): Promise<CallbackResult>
  /** the provider's end-session URL for this user, when it has one (RP-initiated logout) */
  endSessionUrl(user: ConsoleUser): string | undefined
}

/** A sign-in must come back within this long of its start. */
const PENDING_MS = 10 * 60_000
const CLIENT_ID = /^[A-Za-z0-9._:@/+-]{1,128}$/
const ODS = /^[A-Z0-9]{3,10}$/
const PARTNERSHIP = /^[a-z0-9]+(-[a-z0-9]+)*$/

function strings (value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter((s) => s !== '')
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return []
}

/**
 * The console user from the provider's claims (ID token claims merged over by UserInfo): the
 * roles and bindings are read from the configured claim names, with the same rules as a bearer
 * token's (principal.ts): a referrer needs an ODS code, partnership staff a partnership id.
 * Pure.
 */
export function userFromClaims (claims: Record<string, unknown>, names: ConsoleOidcConfig['claims'], issuer: string, knownPartnerships: ReadonlySet<string>): ConsoleUser | undefined {
  const sub = typeof claims.sub === 'string' ? claims.sub : ''
  if (!CLIENT_ID.test(sub)) return undefined
  const asked = new Set(strings(claims[names.roles]).filter((r): r is Role => (ROLES as readonly string[]).includes(r)))
  const odsCodes = [...new Set(strings(claims[names.ods]).map((c) => c.trim().toUpperCase()))].filter((c) => ODS.test(c))
  const partnerships = [...new Set(strings(claims[names.partnership]))].filter((p) => PARTNERSHIP.test(p) && knownPartnerships.has(p))
  const roles = new Set<Role>()
  if (asked.has('operator')) roles.add('operator')
  if (asked.has('partnership') && partnerships.length > 0) roles.add('partnership')
  if (asked.has('referrer') && odsCodes.length > 0) roles.add('referrer')
  if (roles.size === 0) return undefined
  const principal: Principal = { clientId: `oidc/${sub}`.slice(0, 128), issuer, roles, odsCodes, partnerships }
  const name = typeof claims[names.name] === 'string' && (claims[names.name] as string).trim() !== '' ? (claims[names.name] as string).trim().slice(0, 100) : sub
  return { name, principal, via: 'oidc' }
}

/** Discovers the provider (once, at start) and returns the console's sign-in against it. */
export async function createOidcSignIn (config: ConsoleOidcConfig, partnershipIds: readonly string[]): Promise<OidcSignIn> {
  const options = config.allowHttp ? { execute: [client.allowInsecureRequests] } : undefined
  const provider = await client.discovery(new URL(config.issuer), config.clientId, config.clientSecret, undefined, options)
  const known = new Set(partnershipIds)
  const issuer = provider.serverMetadata().issuer
  return {
    origin: new URL(issuer).origin,
    redirectUri: config.redirectUri,

    async start (now) {
      const pending: PendingLogin = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier(), startedAt: now }
      const url = client.buildAuthorizationUrl(provider, {
        redirect_uri: config.redirectUri,
        scope: config.scope,
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256'
      })
      return { url: url.href, pending }
    },

    async callback (currentUrl, pending, now) {
      if (now - pending.startedAt > PENDING_MS) return { ok: false, code: 'expired', reason: 'the sign-in took too long' }
      let tokens
      try {
        tokens = await client.authorizationCodeGrant(provider, currentUrl, { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true })
      } catch (err) {
        return { ok: false, code: err instanceof Error ? (err as { code?: string }).code ?? err.name : 'error', reason: 'the provider\'s answer was refused' }
      }
      const idClaims = tokens.claims()
      if (idClaims === undefined) return { ok: false, code: 'no-id-token', reason: 'no ID token' }
      let claims: Record<string, unknown> = { ...idClaims }
      try {
        // CIS2 sends its role claims from UserInfo only
        claims = { ...claims, ...(await client.fetchUserInfo(provider, tokens.access_token, idClaims.sub)) }
      } catch (err) {
        return { ok: false, code: err instanceof Error ? (err as { code?: string }).code ?? err.name : 'error', reason: 'UserInfo was refused' }
      }
      const user = userFromClaims(claims, config.claims, issuer, known)
      if (user === undefined) return { ok: false, code: 'no-role', reason: 'the account holds no console role' }
      return { ok: true, user: { ...user, ...(tokens.id_token === undefined ? {} : { idToken: tokens.id_token }) } }
    },

    endSessionUrl (user) {
      if (provider.serverMetadata().end_session_endpoint === undefined) return undefined
      const params: Record<string, string> = { post_logout_redirect_uri: new URL('/console/sign-in?signed-out=1', config.redirectUri).href }
      if (user.idToken !== undefined) params.id_token_hint = user.idToken
      return client.buildEndSessionUrl(provider, params).href
    }
  }
}
