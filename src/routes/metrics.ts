import type { FastifyInstance } from 'fastify'
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts'
import { roles } from '../auth/access-policy.ts'

/**
 * GET /metrics in the Prometheus text format, and the hook that counts and times every
 * answered request by its route pattern (never the raw URL: ids would explode the series).
 */
export async function metricsRoutes (app: FastifyInstance, metrics: GatewayMetrics): Promise<void> {
  // Counts and timings only, from closed label sets, but per partnership: how many referrals
  // each one gets and how they were triaged is that partnership's business, so only operators
  // read them (Prometheus sends an operator's bearer token: scrape_config authorization)
  app.get('/metrics', { config: { access: roles('operator') } }, async (_request, reply) => {
    const body = await metrics.registry.metrics()
    await reply.header('content-type', metrics.registry.contentType).send(body)
  })
}

/** Registers the request counter and latency histogram on the whole app. */
export function countRequests (app: FastifyInstance, metrics: GatewayMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.request(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000)
  })
}
