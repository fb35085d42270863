import type { FastifyInstance } from 'fastify'
import type { Bundle } from '@medplum/fhirtypes'
import { auditRecord } from '../audit/audit-record.ts'
import { callerOf, requestAgent } from '../auth/request-agent.ts'
import { readScope, roles } from '../auth/access-policy.ts'
import { outcomeError } from '../fhir/operation-outcome.ts'
import { sendFhir } from '../fhir/reply.ts'
import { IDENTIFIER_SEARCH_PARAM, referenceOfIdentifierParam } from '../reference/identifier-search.ts'
import type { StoredResource } from '../store/store.ts'
import type { RouteDeps } from './route-deps.ts'
import { ONCE, searchQuery } from '../fhir/request-schema.ts'

const QUERY_SCHEMA = searchQuery({ identifier: ONCE })
const KNOWN = new Set(Object.keys(QUERY_SCHEMA.properties))

/**
 * GET /fhir/ServiceRequest?identifier=: the referral a reference names, as a GP reads it to
 * the patient or a partnership quotes it. Found through the Task index (the reference is
 * written there at intake) and read with the caller's scope, like any read: a referral
 * outside it is as absent as an unknown reference.
 */
export async function serviceRequestSearchRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.get('/fhir/ServiceRequest', {
    config: { access: roles('referrer', 'partnership'), fhir: { type: 'ServiceRequest', interaction: 'search-type', searchParams: [{ ...IDENTIFIER_SEARCH_PARAM }] } },
    schema: { querystring: QUERY_SCHEMA }
  }, async (request, reply) => {
    const q = request.query as Record<string, string | string[] | undefined>
    const unknown = Object.keys(q).filter((k) => !KNOWN.has(k))
    if (unknown.length > 0) throw outcomeError(400, 'not-supported', `Unknown search parameter ${unknown.join(', ')}; ServiceRequest is searched by identifier only`, unknown)
    const raw = q.identifier
    if (raw === undefined || Array.isArray(raw)) throw outcomeError(400, 'invalid', 'identifier is required, once', 'identifier')
    const reference = referenceOfIdentifierParam(raw)
    const scope = readScope(callerOf(request))
    const found: StoredResource[] = []
    if (reference !== undefined) {
      const { tasks } = await deps.store.searchTasks({ reference, count: 10, offset: 0, scope })
      for (const t of tasks) {
        const id = /^ServiceRequest\/(.+)$/.exec(t.resource.resourceType === 'Task' ? t.resource.basedOn?.[0]?.reference ?? '' : '')?.[1]
        const sr = id === undefined ? undefined : await deps.store.readResource('ServiceRequest', id, scope)
        if (sr !== undefined && !found.some((f) => f.id === sr.id)) found.push(sr)
      }
    }
    await deps.store.appendAudit(auditRecord(deps.newId(), deps.clock.now(), {
      action: 'E', subtype: 'search', agent: requestAgent(request), entity: 'ServiceRequest', correlationId: request.correlationId
    }))
    const base = `${deps.config.baseUrl}/ServiceRequest`
    const bundle: Bundle = {
      resourceType: 'Bundle',
      id: deps.newId(),
      type: 'searchset',
      total: found.length,
      link: [{ relation: 'self', url: `${base}?${new URLSearchParams({ identifier: raw }).toString()}` }],
      entry: found.map((s) => ({ fullUrl: `${base}/${s.id}`, resource: s.resource, search: { mode: 'match' } }))
    }
    await sendFhir(reply, bundle)
  })
}
