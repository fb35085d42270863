import type { FastifyInstance } from 'fastify'
import { barsServices } from '../bars/bars-services.ts'
import { discoveryDefinitions, supportedMessages } from '../bars/message-definitions.ts'
import { buildCapabilityStatement } from '../fhir/capability-statement.ts'
import { sendFhir } from '../fhir/reply.ts'
import { loadProfiles } from '../validation/load-profiles.ts'
import type { RouteDeps } from './route-deps.ts'

export async function metadataRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const started = deps.clock.now().toISOString()
  const profiles = (await loadProfiles(deps.config.profilesDir)).map((p) => ({ url: p.url, type: p.type }))
  // one request definition per BaRS service id offered (the gateway's own and each partnership's)
  const messages = supportedMessages(discoveryDefinitions(barsServices(deps.config.bars.serviceId, deps.partnerships.values())))
  app.get('/fhir/metadata', { config: { access: 'public' } }, async (_request, reply) => {
    // Built on demand from the catalogue so it lists exactly the routes registered (after ready()).
    await sendFhir(reply, buildCapabilityStatement({ entries: deps.catalogue.entries, baseUrl: deps.config.baseUrl, version: deps.version, date: started, profiles, supportedMessages: messages }))
  })
}
