import type { FastifyRequest } from 'fastify'
import type { Task } from '@medplum/fhirtypes'
import { mayUpdateTask } from './access-policy.ts'
import { auditAgent } from './principal.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** set when access was refused (401, 403, isolation 404): the entity the refused request named */
    accessRefused: string | null
  }
}

/** AuditRecord.agent for a request: the authenticated client and what it acts for. */
export function requestAgent (request: FastifyRequest): string {
  return request.principal === null || request.principal === undefined ? 'unauthenticated' : auditAgent(request.principal)
}

/**
 * AuditRecord.agent for an access attempt that may have no verified caller: the client when a
 * token was verified, else "anonymous" and the peer address (never anything from the token).
 */
export function attemptAgent (request: FastifyRequest): string {
  return request.principal === null || request.principal === undefined ? `anonymous ip/${request.ip}` : auditAgent(request.principal)
}

/**
 * Whether the caller may change this stored Task (only its owning partnership). The update
 * routes ask it right after their one read, before the If-Match check, and answer a refusal
 * with their own 404 (existence must not leak); the refusal is marked for the audit trail.
 * Without a principal the route was reached without the auth plugin (route unit tests):
 * authentication is the plugin's job.
 */
export function mayChangeTask (request: FastifyRequest, task: Task): boolean {
  const may = request.principal === null || request.principal === undefined || mayUpdateTask(request.principal, task)
  if (!may) request.accessRefused = `Task/${task.id ?? ''}`
  return may
}
