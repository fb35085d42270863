import type { FastifyInstance } from 'fastify'
import { circuitView, deliveryView, DELIVERY_STATUSES, isDeliveryStatus } from '../delivery/delivery-view.ts'
import { outcomeError } from '../fhir/operation-outcome.ts'
import type { DeliveryFilter } from '../store/store.ts'
import type { RouteDeps } from './route-deps.ts'
import { requestAgent } from '../auth/request-agent.ts'
import { roles } from '../auth/access-policy.ts'

const MAX_COUNT = 1000
const DEFAULT_COUNT = 100

/**
 * Operator routes over the delivery outbox:
 * - `GET /admin/deliveries?partnership=&status=&_count=`: the newest deliveries (plain JSON,
 *   not FHIR: outbox rows are not resources) with every partnership's circuit breaker;
 * - `POST /admin/deliveries/{id}/$replay`: a dead letter goes back to pending, attempts reset.
 * Errors are OperationOutcomes like everywhere else. Only the operator role may call them
 * (src/auth/access-policy.ts).
 */
export async function adminDeliveryRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.get('/admin/deliveries', { config: { access: roles('operator') } }, async (request, reply) => {
    const query = request.query as Record<string, unknown>
    const filter: DeliveryFilter = { limit: DEFAULT_COUNT }
    const partnership = single(query.partnership, 'partnership')
    if (partnership !== undefined) filter.partnershipId = partnership
    const status = single(query.status, 'status')
    if (status !== undefined) {
      if (!isDeliveryStatus(status)) {
        throw outcomeError(400, 'value', `status must be one of ${DELIVERY_STATUSES.join(', ')}`, 'status')
      }
      filter.status = status
    }
    const count = single(query._count, '_count')
    if (count !== undefined) {
      if (!/^\d+$/.test(count) || Number(count) > MAX_COUNT) {
        throw outcomeError(400, 'value', `_count must be a whole number up to ${MAX_COUNT}`, '_count')
      }
      filter.limit = Number(count)
    }
    const now = deps.clock.now()
    const [rows, circuits] = await Promise.all([deps.store.listDeliveries(filter), deps.store.listCircuits()])
    await reply.header('cache-control', 'no-store').send({
      deliveries: rows.map(deliveryView),
      circuits: circuits.filter((c) => partnership === undefined || c.partnershipId === partnership).map((c) => circuitView(c, now))
    })
  })

  app.post('/admin/deliveries/:id/$replay', { config: { access: roles('operator') } }, async (request, reply) => {
    const { id } = request.params as { id: string }
    const now = deps.clock.now()
    const result = await deps.store.replayDelivery(id, now)
    switch (result.kind) {
      case 'not-found':
        throw outcomeError(404, 'not-found', `No delivery ${id}`)
      case 'not-dead-letter':
        throw outcomeError(409, 'conflict', `Delivery ${id} is ${result.row.status}; only a dead letter can be replayed`)
      case 'replayed':
        await deps.store.appendAudit({
          id: deps.newId(),
          recorded: now.toISOString(),
          action: 'E',
          subtype: 'delivery-replay',
          outcome: '0',
          agent: requestAgent(request),
          entity: `ServiceRequest/${result.row.serviceRequestId}`,
          correlationId: request.correlationId
        })
        request.log.info({ outboxId: id, partnershipId: result.row.partnershipId }, 'delivery replayed')
        await reply.header('cache-control', 'no-store').send(deliveryView(result.row))
    }
  })
}

function single (value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') throw outcomeError(400, 'value', `${name} may be given once`, name)
  return value
}
