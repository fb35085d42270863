import type { FastifyInstance } from 'fastify'
import { outcomeError } from '../fhir/operation-outcome.ts'
import type { RouteDeps } from './route-deps.ts'

export async function healthRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.get('/health/live', { config: { access: 'public' } }, async () => ({ status: 'live' }))
  app.get('/health/ready', { config: { access: 'public' } }, async () => {
    const ok = await deps.store.ping().catch(() => false)
    if (!ok) {
      throw outcomeError(503, 'transient', 'The store is not reachable, or its schema is not the version this gateway expects')
    }
    return { status: 'ready' }
  })
}
