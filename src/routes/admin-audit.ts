import type { FastifyInstance } from 'fastify'
import { auditBundle, type AuditQuery } from '../audit/audit-event.ts'
import { sendFhir } from '../fhir/reply.ts'
import { requestAgent } from '../auth/request-agent.ts'
import { auditRecord } from '../audit/audit-record.ts'
import type { AuditStore } from '../store/audit-store.ts'
import type { Clock } from '../clock.ts'
import { roles } from '../auth/access-policy.ts'
import { countParam } from '../fhir/request-schema.ts'

const MAX_COUNT = 1000
const DEFAULT_COUNT = 100
const QUERY_SCHEMA = {
  type: 'object',
  properties: {
    // Type or Type/id; empty is no filter
    entity: { type: 'string', pattern: '^([A-Za-z]+(\\/[A-Za-z0-9\\-.]{1,64})?)?$' },
    // a client id, ods/CODE or partnership/ID (principal.ts auditAgent); empty is no filter
    agent: { type: 'string', pattern: '^[A-Za-z0-9._:@/+,-]{0,200}$' },
    _count: countParam(MAX_COUNT)
  }
} as const

export interface AdminAuditDeps {
  audit: AuditStore
  baseUrl: string
  clock: Clock
  newId: () => string
}

/**
 * GET /admin/AuditEvent?entity=&agent=&_count=: the audit trail for operators, newest first,
 * as a searchset of R4 AuditEvents (NDG standard 2: use is logged and attributable). Reading
 * the trail is itself audited.
 */
export async function adminAuditRoutes (app: FastifyInstance, deps: AdminAuditDeps): Promise<void> {
  app.get<{ Querystring: { entity?: string, agent?: string, _count?: number } }>('/admin/AuditEvent', {
    config: { access: roles('operator') },
    schema: { querystring: QUERY_SCHEMA }
  }, async (request, reply) => {
    const q = request.query
    const query: AuditQuery = { limit: q._count ?? DEFAULT_COUNT }
    if (q.entity !== undefined && q.entity !== '') query.entity = q.entity
    if (q.agent !== undefined && q.agent !== '') query.agent = q.agent
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
