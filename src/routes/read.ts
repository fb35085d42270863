import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { StoredResource } from '../store/store.ts'
import { auditRecord } from '../audit/audit-record.ts'
import { outcomeError } from '../fhir/operation-outcome.ts'
import { etag, sendFhir, sendResource } from '../fhir/reply.ts'
import { partnershipOrganization } from '../discovery/catalogue-entries.ts'
import type { RouteDeps } from './route-deps.ts'
import { callerOf, missed, requestAgent } from '../auth/request-agent.ts'
import { ANY_ROLE, readScope, roles } from '../auth/access-policy.ts'
import { HEADER, headersSchema, ID_PARAMS, VERSION_PARAMS } from '../fhir/request-schema.ts'

/** Types the gateway stores and serves by id. */
export const READABLE_TYPES = ['ServiceRequest', 'Task', 'Patient', 'Observation', 'Condition', 'Consent'] as const

export async function readRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  // what the caller may not see is answered as what does not exist (404, no hint of which)
  const readVisible = async (request: FastifyRequest, type: string, id: string): Promise<StoredResource> => {
    const stored = await deps.store.readResource(type, id, readScope(callerOf(request)))
    if (stored === undefined) {
      missed(request, `${type}/${id}`)
      throw outcomeError(404, 'not-found', `${type}/${id} is not known`, `${type}.id`)
    }
    return stored
  }

  for (const type of READABLE_TYPES) {
    app.get<{ Params: { id: string } }>(`/fhir/${type}/:id`, {
      config: { access: roles('referrer', 'partnership'), fhir: { type, interaction: 'read' } },
      schema: { params: ID_PARAMS, headers: headersSchema({ 'if-none-match': HEADER.ifNoneMatch }) }
    }, async (request, reply) => {
      const { id } = request.params
      const stored = await readVisible(request, type, id)
      await deps.store.appendAudit(auditRecord(deps.newId(), deps.clock.now(), {
        action: 'R', subtype: 'read', agent: requestAgent(request), entity: `${type}/${id}`, correlationId: request.correlationId
      }))
      // If-None-Match with the current version answers 304 (R4 http.html §3.1.0.5).
      if (request.headers['if-none-match'] === etag(stored.versionId)) {
        await reply.code(304).header('ETag', etag(stored.versionId)).send()
        return
      }
      await sendResource(reply, stored)
    })

    // vread (R4 http.html §3.1.0.3). A create's Location names the version it made
    // ([base]/[type]/[id]/_history/[vid], §3.1.0.4), so that URL must answer. Only the current
    // version is kept (readHistory false): an earlier one is answered 404, as an unknown one.
    app.get<{ Params: { id: string, vid: string } }>(`/fhir/${type}/:id/_history/:vid`, {
      config: { access: roles('referrer', 'partnership'), fhir: { type, interaction: 'vread' } },
      schema: { params: VERSION_PARAMS }
    }, async (request, reply) => {
      const { id, vid } = request.params
      const stored = await readVisible(request, type, id)
      if (stored.versionId !== vid) {
        throw outcomeError(404, 'not-found', `${type}/${id} version ${vid} is not kept: only the current version (${stored.versionId}) is served`, `${type}.meta.versionId`)
      }
      await deps.store.appendAudit(auditRecord(deps.newId(), deps.clock.now(), {
        action: 'R', subtype: 'vread', agent: requestAgent(request), entity: `${type}/${id}`, correlationId: request.correlationId
      }))
      await sendResource(reply, stored)
    })
  }

  // Partnerships are served as Organizations so Task.owner references resolve.
  app.get<{ Params: { id: string } }>('/fhir/Organization/:id', {
    // directory: nothing personal, any caller may read it
    config: { access: ANY_ROLE, fhir: { type: 'Organization', interaction: 'read' } },
    schema: { params: ID_PARAMS }
  }, async (request, reply) => {
    const p = deps.partnerships.get(request.params.id)
    if (p === undefined) {
      throw outcomeError(404, 'not-found', `Organization/${request.params.id} is not known`, 'Organization.id')
    }
    await sendFhir(reply, partnershipOrganization(p, deps.clock.now()))
  })
}
