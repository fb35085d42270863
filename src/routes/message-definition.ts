import type { FastifyInstance } from 'fastify'
import type { Bundle } from '@medplum/fhirtypes'
import { barsServices } from '../bars/bars-services.ts'
import { discoveryDefinitions } from '../bars/message-definitions.ts'
import { definitionMatches, type DefinitionQuery } from '../discovery/definition-search.ts'
import { outcomeError } from '../fhir/operation-outcome.ts'
import { sendFhir } from '../fhir/reply.ts'
import type { RouteDeps } from './route-deps.ts'
import { ANY_ROLE } from '../auth/access-policy.ts'
import { ID_PARAMS, REPEATABLE, searchQuery } from '../fhir/request-schema.ts'

const SEARCH_PARAMS = new Set(['url', 'name', 'identifier', 'event', 'context', '_format'])
// each may repeat (AND) a bounded number of times; unknown ones are refused in the handler
const QUERY_SCHEMA = searchQuery({ url: REPEATABLE, name: REPEATABLE, identifier: REPEATABLE, event: REPEATABLE, context: REPEATABLE })
/**
 * GET /fhir/MessageDefinition (and by id): the BaRS messages this gateway accepts and sends,
 * with the resources each carries and how many (NHS BaRS message definitions), one request
 * definition per BaRS service id it offers. BaRS senders ask with `context=<service id>`
 * (and their use case, which narrows nothing here); a service id the gateway does not offer
 * finds nothing.
 */
export async function messageDefinitionRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const definitions = discoveryDefinitions(barsServices(deps.config.bars.serviceId, deps.partnerships.values()))
  app.get<{ Querystring: DefinitionQuery }>('/fhir/MessageDefinition', {
    config: {
      access: ANY_ROLE,
      fhir: {
        type: 'MessageDefinition',
        interaction: 'search-type',
        searchParams: [
          { name: 'url', type: 'string', documentation: 'canonical URL of a MessageDefinition' },
          { name: 'name', type: 'string', documentation: 'name or title, from the start, any case' },
          { name: 'identifier', type: 'token', documentation: 'the BaRS service id a request definition is for (system|value)' },
          { name: 'event', type: 'token', documentation: 'message-events-bars code, e.g. servicerequest-request' },
          { name: 'context', type: 'token', documentation: 'BaRS service id (system|value): the definitions that service takes; a usecases-categories-bars context narrows nothing' }
        ]
      }
    },
    schema: { querystring: QUERY_SCHEMA }
  }, async (request, reply) => {
    const q = request.query
    const unknown = Object.keys(q).filter((k) => !SEARCH_PARAMS.has(k))
    if (unknown.length > 0) {
      throw outcomeError(400, 'not-supported', `Unknown search parameter(s) ${unknown.join(', ')}; MessageDefinition supports url, name, identifier, event and context`, unknown.map((k) => `MessageDefinition.${k}`))
    }
    const matches = definitions.filter((d) => definitionMatches(d, q))
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
    const found = definitions.find((d) => d.id === request.params.id)
    if (found === undefined) {
      throw outcomeError(404, 'not-found', `MessageDefinition/${request.params.id} is not known`, 'MessageDefinition.id')
    }
    await sendFhir(reply, found)
  })
}
