import type { FastifyInstance } from 'fastify'
import type { Bundle } from '@medplum/fhirtypes'
import { MESSAGE_DEFINITIONS } from '../bars/message-definitions.ts'
import { outcomeError } from '../fhir/operation-outcome.ts'
import { sendFhir } from '../fhir/reply.ts'
import type { RouteDeps } from './route-deps.ts'
import { ANY_ROLE } from '../auth/access-policy.ts'
import { ID_PARAMS } from '../fhir/request-schema.ts'

const SEARCH_PARAMS = new Set(['url', 'event', '_format'])

/**
 * GET /fhir/MessageDefinition (and by id): the BaRS messages this gateway accepts and sends,
 * with the resources each carries and how many (NHS BaRS message definitions). BaRS senders ask with
 * `context=` (the receiver's service and use case); the gateway has one set of definitions
 * for every context, so context is accepted and does not narrow the answer.
 */
export async function messageDefinitionRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/fhir/MessageDefinition', {
    config: {
      access: ANY_ROLE,
      fhir: {
        type: 'MessageDefinition',
        interaction: 'search-type',
        searchParams: [
          { name: 'url', type: 'string', documentation: 'canonical URL of a MessageDefinition' },
          { name: 'event', type: 'token', documentation: 'message-events-bars code, e.g. servicerequest-request' }
        ]
      }
    }
  }, async (request, reply) => {
    const q = request.query
    const unknown = Object.keys(q).filter((k) => !SEARCH_PARAMS.has(k) && k !== 'context')
    if (unknown.length > 0) {
      throw outcomeError(400, 'not-supported', `Unknown search parameter(s) ${unknown.join(', ')}; MessageDefinition supports url, event and context`, unknown.map((k) => `MessageDefinition.${k}`))
    }
    const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)
    const url = one(q.url)
    const event = one(q.event)?.split('|').pop()
    const matches = MESSAGE_DEFINITIONS.filter((d) => (url === undefined || d.url === url) && (event === undefined || d.eventCoding?.code === event))
    const bundle: Bundle = {
      resourceType: 'Bundle',
      id: deps.newId(),
      type: 'searchset',
      total: matches.length,
      link: [{ relation: 'self', url: `${deps.config.baseUrl}/MessageDefinition${request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''}` }],
      entry: matches.map((d) => ({ fullUrl: `${deps.config.baseUrl}/MessageDefinition/${d.id ?? ''}`, resource: d, search: { mode: 'match' } }))
    }
    await sendFhir(reply, bundle)
  })

  app.get<{ Params: { id: string } }>('/fhir/MessageDefinition/:id', {
    config: { access: ANY_ROLE, fhir: { type: 'MessageDefinition', interaction: 'read' } },
    schema: { params: ID_PARAMS }
  }, async (request, reply) => {
    const found = MESSAGE_DEFINITIONS.find((d) => d.id === request.params.id)
    if (found === undefined) {
      throw outcomeError(404, 'not-found', `MessageDefinition/${request.params.id} is not known`, 'MessageDefinition.id')
    }
    await sendFhir(reply, found)
  })
}
