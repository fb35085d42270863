import type { Bundle, Reference, Resource, ServiceRequest, Task } from '@medplum/fhirtypes'
import { SYSTEMS } from '../fhir/systems.ts'
import { ROLES, type Principal, type Role } from './principal.ts'

/**
 * Which caller may do what, as pure functions (issue 6; DESIGN.md "The HTTP surface"):
 * - the route table says which roles may use a route at all (403 for any other role);
 * - the isolation predicates say which stored resources a caller may see or change; a
 *   resource it may not see answers 404, exactly as an unknown id does, so existence does
 *   not leak (RFC 9110 §15.5.5 allows 404 in place of 403 for this reason).
 */

export type RouteAccess =
  /** no token needed: capability statement, health, metrics */
  | { kind: 'open' }
  /** a valid token holding one of these roles */
  | { kind: 'roles', roles: readonly Role[] }

const ANY_ROLE: readonly Role[] = ROLES
const OPEN: RouteAccess = { kind: 'open' }
const roles = (...r: Role[]): RouteAccess => ({ kind: 'roles', roles: r })

/** Resources a referral stores besides its ServiceRequest and Task (transaction entries). */
export const SUPPORTING_TYPES = ['Patient', 'Observation', 'Condition', 'Consent'] as const

interface Rule { methods: readonly string[], url: RegExp, access: RouteAccess }

/**
 * The route table, first match wins. `url` is matched against Fastify's route pattern
 * (e.g. /fhir/Task/:id), or the request path when no route matched. Anything not listed is
 * refused to every role: a new route must be placed here (a test walks the app's routes).
 */
const RULES: readonly Rule[] = [
  { methods: ['GET', 'HEAD'], url: /^\/fhir\/metadata$/, access: OPEN },
  { methods: ['GET', 'HEAD'], url: /^\/health\/(live|ready)$/, access: OPEN },
  // Prometheus scrapes counts and timings only (no ids); network policy guards it
  { methods: ['GET', 'HEAD'], url: /^\/metrics$/, access: OPEN },
  // the browser console signs people in with its own server-side session (src/console/)
  { methods: ['GET', 'HEAD', 'POST'], url: /^\/console(\/|$)/, access: OPEN },
  { methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'], url: /^\/admin\//, access: roles('operator') },
  { methods: ['POST'], url: /^\/fhir(\/ServiceRequest(\/\$triage)?)?$/, access: roles('referrer') },
  // a BaRS sender is the referring system (reference/bars.md)
  { methods: ['POST'], url: /^\/fhir\/\$process-message$/, access: roles('referrer') },
  { methods: ['POST'], url: /^\/fhir(\/[A-Za-z]+)?\/\$validate$/, access: { kind: 'roles', roles: ANY_ROLE } },
  { methods: ['GET', 'HEAD'], url: /^\/fhir\/Task$/, access: roles('referrer', 'partnership') },
  { methods: ['PUT', 'PATCH'], url: /^\/fhir\/Task\/:id$/, access: roles('partnership') },
  { methods: ['GET', 'HEAD'], url: /^\/fhir\/(ServiceRequest|Task|Patient|Observation|Condition|Consent)\/:id$/, access: roles('referrer', 'partnership') },
  // directory and conformance resources: nothing personal, any caller may read them
  { methods: ['GET', 'HEAD'], url: /^\/fhir\/(Organization|StructureDefinition|ValueSet|CodeSystem|MessageDefinition)(\/:id)?$/, access: { kind: 'roles', roles: ANY_ROLE } }
]

/** What a route needs. `url` is the route pattern, or undefined when no route matched. */
export function routeAccess (method: string, url: string | undefined, path: string): RouteAccess {
  const target = url ?? path
  for (const rule of RULES) {
    if (rule.methods.includes(method) && rule.url.test(target)) return rule.access
  }
  if (url === undefined) {
    // an unknown path answers 404 (or 405) to a caller with any valid token; without one, 401
    // under /fhir and /admin so a scan learns nothing about what exists
    return target.startsWith('/fhir') || target.startsWith('/admin') ? { kind: 'roles', roles: ANY_ROLE } : OPEN
  }
  return { kind: 'roles', roles: [] }
}

/** Whether the principal holds one of the roles. */
export function hasAnyRole (p: Principal, wanted: readonly Role[]): boolean {
  return wanted.some((r) => p.roles.has(r))
}

// ----------------------------------------------------------------------------- isolation

/** The ODS code a reference names by identifier (how referrals carry their requester, domain.md §2.1). */
export function odsCodeOf (ref: Reference | undefined): string | undefined {
  const id = ref?.identifier
  return id?.system === SYSTEMS.odsOrganisation && typeof id.value === 'string' ? id.value.trim().toUpperCase() : undefined
}

/** The partnership id a Task's owner names: Task.owner is Organization/{partnership id}. */
export function ownerOf (task: Task): string | undefined {
  const m = /^Organization\/([a-z0-9-]+)$/.exec(task.owner?.reference ?? '')
  return m?.[1]
}

function refersFor (p: Principal, ods: string | undefined): boolean {
  return p.roles.has('referrer') && ods !== undefined && p.odsCodes.includes(ods)
}

function owns (p: Principal, partnershipId: string | undefined): boolean {
  return p.roles.has('partnership') && partnershipId !== undefined && p.partnerships.includes(partnershipId)
}

/** A Task is seen by the partnership that owns it and by the referrer whose ODS code requested it. */
export function mayReadTask (p: Principal, task: Task): boolean {
  return owns(p, ownerOf(task)) || refersFor(p, odsCodeOf(task.requester))
}

/** Only the owning partnership moves a Task through its lifecycle (a referrer cancels through BaRS). */
export function mayUpdateTask (p: Principal, task: Task): boolean {
  return owns(p, ownerOf(task))
}

/**
 * A referral is seen by the referrer whose ODS code requested it and by the partnership that
 * owns its Task (`taskOwners`: the owners of the Tasks based on it).
 */
export function mayReadServiceRequest (p: Principal, sr: ServiceRequest, taskOwners: readonly string[]): boolean {
  return refersFor(p, odsCodeOf(sr.requester)) || taskOwners.some((o) => owns(p, o))
}

/** A referrer may only create referrals that name one of its own ODS codes as requester. */
export function mayReferFor (p: Principal, requesterOds: string | undefined): boolean {
  return requesterOds === undefined || refersFor(p, requesterOds)
}

/**
 * The requester ODS code of a referral body as sent (a ServiceRequest, a transaction Bundle's
 * ServiceRequest entry or a BaRS message's), or undefined when the body names none (then
 * validation, not this check, decides).
 */
export function requesterOdsOfBody (body: unknown): string[] {
  if (body === null || typeof body !== 'object') return []
  const r = body as Resource
  if (r.resourceType === 'ServiceRequest') {
    const ods = odsCodeOf((r as ServiceRequest).requester)
    return ods === undefined ? [] : [ods]
  }
  if (r.resourceType === 'Bundle') {
    const entries = (r as Bundle).entry
    if (!Array.isArray(entries)) return []
    return entries.flatMap((e) => (e !== null && typeof e === 'object' ? requesterOdsOfBody(e.resource) : []))
  }
  return []
}

/**
 * How a Task search is narrowed for a caller. A caller that sees every Task it could match
 * anyway (its partnership is the only owner asked for) is narrowed in the store query; the
 * rest is filtered Task by Task with mayReadTask.
 */
export type TaskSearchScope =
  /** search only this owner's Tasks (the store filters) */
  | { kind: 'owner', owner: string }
  /** search as asked, then drop what mayReadTask refuses */
  | { kind: 'filter' }
  /** nothing can match */
  | { kind: 'none' }

export function taskSearchScope (p: Principal, askedOwner: string | undefined): TaskSearchScope {
  if (p.roles.has('referrer')) return { kind: 'filter' }
  if (!p.roles.has('partnership')) return { kind: 'none' }
  if (askedOwner !== undefined) return p.partnerships.includes(askedOwner) ? { kind: 'owner', owner: askedOwner } : { kind: 'none' }
  const only = p.partnerships.length === 1 ? p.partnerships[0] : undefined
  return only === undefined ? { kind: 'filter' } : { kind: 'owner', owner: only }
}
