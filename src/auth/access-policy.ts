import { createHash } from 'node:crypto'
import type { Bundle, Resource, ServiceRequest, Task } from '@medplum/fhirtypes'
import { odsCodeOf } from '../fhir/ods-reference.ts'
import type { AccessScope } from '../store/store.ts'
import { ROLES, type Principal, type Role } from './principal.ts'

/**
 * Who may do what, as data and pure functions. Two layers (docs/threat-model.md):
 * - each route declares, in its own options, which roles may call it (`config.access`); the
 *   app refuses to start if a route declares nothing;
 * - what a caller may see or change is an {@link AccessScope} the store puts into the query
 *   itself, so a resource outside it reads, counts and pages exactly as an unknown one.
 */

/** A route's declared access. */
export type RouteAccess =
  /** no token needed: capability statement, health, metrics, the console's own pages */
  | 'public'
  /** a valid bearer token holding one of these roles */
  | { roles: readonly Role[] }

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call this route; every route must say */
    access?: RouteAccess
  }
}

/** Shorthand for a route's `config.access`. */
export function roles (...r: Role[]): RouteAccess {
  return { roles: r }
}

/** Any authenticated caller: directory and conformance resources hold nothing personal. */
export const ANY_ROLE: RouteAccess = { roles: ROLES }

/**
 * The access of a request no route matched: under /fhir and /admin any valid token (so a scan
 * without one learns nothing of what exists), elsewhere none needed (it is a 404 either way).
 */
export function unmatchedAccess (path: string): RouteAccess {
  return path.startsWith('/fhir') || path.startsWith('/admin') ? ANY_ROLE : 'public'
}

/** Whether the principal holds one of the roles. */
export function hasAnyRole (p: Principal, wanted: readonly Role[]): boolean {
  return wanted.some((r) => p.roles.has(r))
}

// ----------------------------------------------------------------------------- scopes

/**
 * What a caller may read: the referrals its practices made (referrer) and those routed to its
 * partnerships (partnership). Operators read the delivery and audit views, not referrals.
 */
export function readScope (p: Principal): AccessScope {
  return {
    odsCodes: p.roles.has('referrer') ? p.odsCodes : [],
    partnerships: p.roles.has('partnership') ? p.partnerships : []
  }
}

/** What a caller may change through the Task lifecycle: only its own partnerships' Tasks. */
export function updateScope (p: Principal): AccessScope {
  return { odsCodes: [], partnerships: p.roles.has('partnership') ? p.partnerships : [] }
}

/**
 * A key that makes a sender's idempotency key (X-Request-Id, a BaRS Bundle id) its own: the
 * same value from two clients never meets. A digest keeps the stored key short whatever the
 * issuer's and client's lengths.
 */
export function senderKey (p: Pick<Principal, 'issuer' | 'clientId'>, key: string): string {
  return `${senderId(p)}:${key}`
}

/** The authenticated client as a short stable id: a digest of its issuer and client id. */
export function senderId (p: Pick<Principal, 'issuer' | 'clientId'>): string {
  return createHash('sha256').update(`${p.issuer}\u0000${p.clientId}`).digest('base64url').slice(0, 22)
}

// ----------------------------------------------------------------------------- predicates

/** The partnership id a Task's owner names: Task.owner is Organization/{partnership id}. */
export function ownerOf (task: Task): string | undefined {
  const m = /^Organization\/([a-z0-9-]+)$/.exec(task.owner?.reference ?? '')
  return m?.[1]
}

/**
 * Whether a Task is inside a scope: the same rule the store's query applies, as a predicate
 * (for in-memory checks and as the oracle of the scope tests).
 */
export function taskInScope (scope: AccessScope, task: Task): boolean {
  const owner = ownerOf(task)
  const ods = odsCodeOf(task.requester)
  return (owner !== undefined && scope.partnerships.includes(owner)) || (ods !== undefined && scope.odsCodes.includes(ods))
}

/** A Task is seen by the partnership that owns it and by the referrer whose ODS code requested it. */
export function mayReadTask (p: Principal, task: Task): boolean {
  return taskInScope(readScope(p), task)
}

/** Only the owning partnership moves a Task through its lifecycle (a referrer cancels through BaRS). */
export function mayUpdateTask (p: Principal, task: Task): boolean {
  return taskInScope(updateScope(p), task)
}

/**
 * A referrer may only create referrals that name one of its own ODS codes as requester. A
 * referral that names no ODS code at all is not one it may make either: the code is what
 * binds the referral to a practice, and without it no referrer could read it back.
 */
export function mayReferFor (p: Principal, requesterOds: string | undefined): boolean {
  return requesterOds !== undefined && p.roles.has('referrer') && p.odsCodes.includes(requesterOds)
}

/**
 * The requester ODS code of each ServiceRequest in a referral body as sent (a ServiceRequest,
 * a transaction Bundle's or a BaRS message's entries); `null` for a ServiceRequest that names
 * no ODS code.
 */
export function requesterOdsOfBody (body: unknown): Array<string | null> {
  if (body === null || typeof body !== 'object') return []
  const r = body as Resource
  if (r.resourceType === 'ServiceRequest') return [odsCodeOf((r as ServiceRequest).requester) ?? null]
  if (r.resourceType === 'Bundle') {
    const entries = (r as Bundle).entry
    if (!Array.isArray(entries)) return []
    return entries.flatMap((e) => (e !== null && typeof e === 'object' ? requesterOdsOfBody(e.resource) : []))
  }
  return []
}
