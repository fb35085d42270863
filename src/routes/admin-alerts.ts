import type { FastifyInstance } from 'fastify'
import { alertBundle } from '../alerts/alert-bundle.ts'
import { readAlerts, type AlertSource } from '../alerts/read-alerts.ts'

/**
 * `GET /admin/alerts`: the delivery alerts active now, as a collection Bundle of Flags
 * (docs/alerts.md). Operators only. Read from the store on each call, so every instance
 * answers the same and a resolved alert is gone at once.
 */
export async function adminAlertRoutes (app: FastifyInstance, source: AlertSource): Promise<void> {
  app.get('/admin/alerts', { config: { access: { roles: ['operator'] } } }, async (_request, reply) => {
    const alerts = await readAlerts(source)
    await reply.header('cache-control', 'no-store').type('application/fhir+json').send(alertBundle(alerts, source.clock.now()))
  })
}
