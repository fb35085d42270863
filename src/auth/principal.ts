import type { JWTPayload } from 'jose'

/**
 * What a calling system may be (each route declares which it accepts):
 * - referrer: a GP or other referring system; creates referrals and triage requests and reads
 *   its own, bound to one or more ODS codes;
 * - partnership: a local WorkWell partnership; reads and updates the Tasks it owns;
 * - operator: runs the gateway (admin routes).
 */
export const ROLES = ['referrer', 'partnership', 'operator'] as const
export type Role = typeof ROLES[number]

/** The authenticated caller: a system, never a person (NDG standard 2 attributes use to it). */
export interface Principal {
  /** the client id (client_id, azp or sub): ids only, safe for logs and the audit trail */
  clientId: string
  issuer: string
  roles: ReadonlySet<Role>
  /** referrer: the ODS codes it may refer for and read (upper case) */
  odsCodes: readonly string[]
  /** partnership: the partnership ids whose Tasks it may read and update */
  partnerships: readonly string[]
}

/** Scope values that grant a role, as an authorisation server would issue them (RFC 8693 §4.2 `scope`). */
export const ROLE_SCOPES: Readonly<Record<Role, string>> = {
  referrer: 'workwell/referrer',
  partnership: 'workwell/partnership',
  operator: 'workwell/operator'
}

/** Claims that bind a role to the organisations it acts for. */
export const CLAIMS = { ods: 'ods', partnership: 'partnership', roles: 'roles' } as const

const ODS = /^[A-Z0-9]{3,10}$/
const PARTNERSHIP = /^[a-z0-9]+(-[a-z0-9]+)*$/
const CLIENT_ID = /^[A-Za-z0-9._:@/+-]{1,128}$/

/** A claim that may be a string or an array of strings; anything else reads as absent. */
function strings (value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter((s) => s !== '')
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return []
}

export type PrincipalResult = { ok: true, principal: Principal } | { ok: false, reason: string }

/**
 * Reads the caller from a verified token's claims. Roles come from `scope` (space-separated,
 * RFC 8693 §4.2) and from a `roles` array; a referrer needs at least one ODS code and a
 * partnership a partnership id, or the role is not granted. A token may carry several roles.
 */
export function principalFromClaims (claims: JWTPayload): PrincipalResult {
  const rawClient = [claims.client_id, claims.azp, claims.sub].find((c): c is string => typeof c === 'string' && c !== '')
  if (rawClient === undefined) return { ok: false, reason: 'the token names no client (client_id, azp or sub)' }
  if (!CLIENT_ID.test(rawClient)) return { ok: false, reason: 'the token\'s client id has characters a client id may not have' }
  const asked = new Set<string>()
  for (const s of strings(claims.scope)) {
    for (const role of ROLES) if (s === ROLE_SCOPES[role]) asked.add(role)
  }
  for (const r of strings(claims[CLAIMS.roles])) {
    if ((ROLES as readonly string[]).includes(r)) asked.add(r)
  }
  const odsCodes = [...new Set(strings(claims[CLAIMS.ods]).map((c) => c.trim().toUpperCase()))]
  if (odsCodes.some((c) => !ODS.test(c))) return { ok: false, reason: 'the token\'s ods claim holds a value that is not an ODS code' }
  const partnerships = [...new Set(strings(claims[CLAIMS.partnership]))]
  if (partnerships.some((p) => !PARTNERSHIP.test(p))) return { ok: false, reason: 'the token\'s partnership claim holds a value that is not a partnership id' }
  const roles = new Set<Role>()
  if (asked.has('referrer') && odsCodes.length > 0) roles.add('referrer')
  if (asked.has('partnership') && partnerships.length > 0) roles.add('partnership')
  if (asked.has('operator')) roles.add('operator')
  return {
    ok: true,
    principal: { clientId: rawClient, issuer: typeof claims.iss === 'string' ? claims.iss : '', roles, odsCodes, partnerships }
  }
}

/**
 * Who did it, for AuditEvent.agent and logs: the client and the organisations it acted for;
 * codes and ids only, never a person.
 */
export function auditAgent (p: Principal): string {
  const parts = [`client/${p.clientId}`]
  if (p.roles.has('referrer')) parts.push(`ods/${p.odsCodes.join(',')}`)
  if (p.roles.has('partnership')) parts.push(`partnership/${p.partnerships.join(',')}`)
  if (p.roles.has('operator')) parts.push('operator')
  return parts.join(' ')
}
