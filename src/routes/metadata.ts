import type { FastifyInstance } from 'fastify'
import { buildCapabilityStatement } from '../fhir/capability-statement.ts'
import { sendFhir } from '../fhir/reply.ts'
import { loadProfiles } from '../validation/load-profiles.ts'
import type { RouteDeps } from './route-deps.ts'

export async function metadataRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const started = deps.clock.now().toISOString()
  const profiles = (await loadProfiles(deps.config.profilesDir)).map((p) => ({ url: p.url, type: p.type }))
  app.get('/fhir/metadata', { config: { access: 'public' } }, async (_request, reply) => {
    // Built on demand from the catalogue so it lists exactly the routes registered (after ready()).
    await sendFhir(reply, buildCapabilityStatement({ entries: deps.catalogue.entries, baseUrl: deps.config.baseUrl, version: deps.version, date: started, profiles }))
  })
}
