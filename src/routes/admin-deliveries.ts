import type { FastifyInstance } from 'fastify'
import { circuitView, deliveryView, DELIVERY_STATUSES, isDeliveryStatus } from '../delivery/delivery-view.ts'
import { outcomeError } from '../fhir/operation-outcome.ts'
import type { DeliveryFilter } from '../store/store.ts'
import type { RouteDeps } from './route-deps.ts'
import { requestAgent } from '../auth/request-agent.ts'
import { roles } from '../auth/access-policy.ts'
import { ID_PARAMS, ONCE } from '../fhir/request-schema.ts'

const MAX_COUNT = 1000
const DEFAULT_COUNT = 100

const QUERY_SCHEMA = {
  type: 'object',
  properties: {
    // empty is no filter
    partnership: ONCE,
    status: { type: 'string', enum: ['', ...DELIVERY_STATUSES] },
    // 0 lists no rows, only the circuits
    _count: { type: 'integer', minimum: 0, maximum: MAX_COUNT }
  }
} as const

/**
 * Operator routes over the delivery outbox:
 * - `GET /admin/deliveries?partnership=&status=&_count=`: the newest deliveries (plain JSON,
 *   not FHIR: outbox rows are not resources) with every partnership's circuit breaker;
 * - `POST /admin/deliveries/{id}/$replay`: a dead letter goes back to pending, attempts reset.
 * Errors are OperationOutcomes like everywhere else. Only the operator role may call them
 * (src/auth/access-policy.ts).
 */
export async function adminDeliveryRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.get<{ Querystring: { partnership?: string, status?: string, _count?: number } }>('/admin/deliveries', {
    config: { access: roles('operator') },
    schema: { querystring: QUERY_SCHEMA }
  }, async (request, reply) => {
    const query = request.query
    const filter: DeliveryFilter = { limit: query._count ?? DEFAULT_COUNT }
    const partnership = query.partnership === '' ? undefined : query.partnership
    if (partnership !== undefined) filter.partnershipId = partnership
    if (query.status !== undefined && isDeliveryStatus(query.status)) filter.status = query.status
    const now = deps.clock.now()
    const [rows, circuits] = await Promise.all([deps.store.listDeliveries(filter), deps.store.listCircuits()])
    await reply.header('cache-control', 'no-store').send({
      deliveries: rows.map(deliveryView),
      circuits: circuits.filter((c) => partnership === undefined || c.partnershipId === partnership).map((c) => circuitView(c, now))
    })
  })

  app.post<{ Params: { id: string } }>('/admin/deliveries/:id/$replay', {
    config: { access: roles('operator') },
    schema: { params: ID_PARAMS }
  }, async (request, reply) => {
    const { id } = request.params
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
