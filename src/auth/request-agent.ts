import type { FastifyRequest } from 'fastify'
import { outcomeError } from '../fhir/operation-outcome.ts'
import { auditAgent as headersAgent, type BarsIdentity } from '../bars/headers.ts'
import { auditAgent, type Principal } from './principal.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** on a BaRS proxy's request: who the NHSD headers say made it (src/auth/proxy-identity.ts) */
    proxyIdentity: BarsIdentity | null
    /** set when access was refused (401, 403, isolation 404): the entity the refused request named */
    accessRefused: string | null
  }
}

/** AuditRecord.agent for a request: the authenticated client and what it acts for. */
export function requestAgent (request: FastifyRequest): string {
  return request.principal === null || request.principal === undefined ? 'unauthenticated' : verifiedAgent(request, request.principal)
}

/** The verified caller, and through a BaRS proxy the software and practitioner it forwarded. */
function verifiedAgent (request: FastifyRequest, p: Principal): string {
  const via = request.proxyIdentity
  return via === null || via === undefined ? auditAgent(p) : `${auditAgent(p)} ${headersAgent(via)}`
}

/**
 * AuditRecord.agent for an access attempt that may have no verified caller: the client when a
 * token was verified, else "anonymous" and the peer address (never anything from the token).
 */
export function attemptAgent (request: FastifyRequest): string {
  return request.principal === null || request.principal === undefined ? `anonymous ip/${request.ip}` : verifiedAgent(request, request.principal)
}

/**
 * The authenticated caller of a route that declared roles. The auth plugin refuses such a
 * request before its handler runs, so a missing principal here is a wiring fault, answered
 * as a refusal rather than with data read without a scope.
 */
export function callerOf (request: FastifyRequest): Principal {
  const p = request.principal
  if (p === null || p === undefined) throw outcomeError(401, 'login', 'This request needs a bearer token (Authorization: Bearer <JWT>)', 'Authorization')
  return p
}

/**
 * Marks a read or change that found nothing in the caller's scope: recorded in the audit
 * trail after the answer (auth-plugin.ts), the same way whether the id is unknown or another
 * caller's, since the scoped query cannot and must not tell the two apart.
 */
export function missed (request: FastifyRequest, entity: string): void {
  request.accessRefused = entity
}
