import type { FastifyInstance } from 'fastify'
import { auditBundle, type AuditQuery } from '../audit/audit-event.ts'
import { outcomeError } from '../fhir/operation-outcome.ts'
import { sendFhir } from '../fhir/reply.ts'
import { requestAgent } from '../auth/request-agent.ts'
import { auditRecord } from '../audit/audit-record.ts'
import type { AuditStore } from '../store/audit-store.ts'
import type { Clock } from '../clock.ts'
import { roles } from '../auth/access-policy.ts'

const MAX_COUNT = 1000
const DEFAULT_COUNT = 100
const ENTITY = /^[A-Za-z]+(\/[A-Za-z0-9\-.]{1,64})?$/
const AGENT = /^[A-Za-z0-9._:@/+,-]{1,200}$/

export interface AdminAuditDeps {
  audit: AuditStore
  baseUrl: string
  clock: Clock
  newId: () => string
}

function single (value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') throw outcomeError(400, 'invalid', `${name} may be given once`, name)
  return value
}

/**
 * GET /admin/AuditEvent?entity=&agent=&_count=: the audit trail for operators, newest first,
 * as a searchset of R4 AuditEvents (NDG standard 2: use is logged and attributable). Reading
 * the trail is itself audited.
 */
export async function adminAuditRoutes (app: FastifyInstance, deps: AdminAuditDeps): Promise<void> {
  app.get('/admin/AuditEvent', { config: { access: roles('operator') } }, async (request, reply) => {
    const q = request.query as Record<string, unknown>
    const query: AuditQuery = { limit: DEFAULT_COUNT }
    const entity = single(q.entity, 'entity')
    if (entity !== undefined) {
      if (!ENTITY.test(entity)) throw outcomeError(400, 'invalid', 'entity must be Type/id, e.g. Task/123', 'entity')
      query.entity = entity
    }
    const agent = single(q.agent, 'agent')
    if (agent !== undefined) {
      if (!AGENT.test(agent)) throw outcomeError(400, 'invalid', 'agent must be a client id, ods/CODE or partnership/ID', 'agent')
      query.agent = agent
    }
    const count = single(q._count, '_count')
    if (count !== undefined) {
      if (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > MAX_COUNT) throw outcomeError(400, 'invalid', `_count must be a whole number from 1 to ${MAX_COUNT}`, '_count')
      query.limit = Number(count)
    }
    const records = await deps.audit.searchAudit(query)
    await deps.audit.appendAudit(auditRecord(deps.newId(), deps.clock.now(), {
      action: 'E', subtype: 'search', agent: requestAgent(request), entity: 'AuditEvent', correlationId: request.correlationId
    }))
    const self = new URLSearchParams()
    if (query.entity !== undefined) self.set('entity', query.entity)
    if (query.agent !== undefined) self.set('agent', query.agent)
    self.set('_count', String(query.limit))
    const adminBase = deps.baseUrl.replace(/\/fhir$/, '/admin')
    await sendFhir(reply, auditBundle(records, deps.newId(), `${adminBase}/AuditEvent?${self.toString()}`, adminBase))
  })
}
