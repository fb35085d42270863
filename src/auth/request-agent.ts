import type { FastifyRequest } from 'fastify'
import type { Task } from '@medplum/fhirtypes'
import { mayUpdateTask } from './access-policy.ts'
import { auditAgent } from './principal.ts'

/** AuditRecord.agent for a request: the authenticated client and what it acts for. */
export function requestAgent (request: FastifyRequest): string {
  return request.principal === null || request.principal === undefined ? 'unauthenticated' : auditAgent(request.principal)
}

/**
 * Whether the caller may change this stored Task (only its owning partnership). The update
 * routes ask it right after their one read, before the If-Match check, and answer a refusal
 * with their own 404 (existence must not leak). Without a principal the route was reached
 * without the auth plugin (route unit tests): authentication is the plugin's job.
 */
export function mayChangeTask (request: FastifyRequest, task: Task): boolean {
  return request.principal === null || request.principal === undefined || mayUpdateTask(request.principal, task)
}
