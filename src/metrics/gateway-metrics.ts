import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Clock } from '../clock.ts'
import type { CircuitState, CircuitStore } from '../store/circuit-store.ts'
import type { OutboxStore } from '../store/outbox-store.ts'

/** The gateway's Prometheus metrics, on a registry of their own (one per app instance). */
export interface GatewayMetrics {
  registry: Registry
  /** one HTTP request answered: route is the route pattern, never the raw URL */
  request: (route: string, method: string, status: number, seconds: number) => void
  /** a validation that found errors, by the profile validated against */
  validationFailure: (profile: string) => void
  /** a referral stored with its triage outcome */
  triageOutcome: (outcome: string, partnership: string) => void
  /** one delivery attempt settled */
  delivery: (partnership: string, status: DeliveryMetricStatus) => void
}

/** How a delivery attempt ended, as counted. */
export type DeliveryMetricStatus = 'delivered' | 'retry' | 'dead-letter' | 'deferred'

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 }

/**
 * Creates the metrics of one gateway instance. Counters are fed where their event happens
 * (a referral stored by intake, an attempt settled by the delivery worker); the outbox and
 * circuit-breaker gauges are read from the store at scrape time, so they show the state of
 * the whole deployment (every instance writes to the same store), not just this process.
 * @param store - read at scrape time for outbox depth, oldest pending row and circuits
 * @param clock - gives "now" for the oldest row's age
 */
export function createGatewayMetrics (store: Pick<OutboxStore, 'outboxStats'> & Pick<CircuitStore, 'listCircuits'>, clock: Clock): GatewayMetrics {
  const registry = new Registry()
  // process metrics (RSS, heap, event-loop lag, GC) on this registry, not the global one
  collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const requests = new Counter({ name: 'workwell_http_requests_total', help: 'HTTP requests answered, by route pattern, method and status', labelNames: ['route', 'method', 'status'], registers })
  const latency = new Histogram({
    name: 'workwell_http_request_duration_seconds',
    help: 'Time from request received to response sent, by route pattern and method',
    labelNames: ['route', 'method'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers
  })
  const validation = new Counter({ name: 'workwell_validation_failures_total', help: 'Validations that found errors, by profile', labelNames: ['profile'], registers })
  const triage = new Counter({ name: 'workwell_triage_outcomes_total', help: 'Referrals stored, by triage outcome and partnership', labelNames: ['outcome', 'partnership'], registers })
  const deliveries = new Counter({ name: 'workwell_deliveries_total', help: 'Delivery attempts settled by this instance, by partnership and status', labelNames: ['partnership', 'status'], registers })

  // eslint-disable-next-line no-new -- registered on the registry, read through it
  new Gauge({
    name: 'workwell_outbox_rows',
    help: 'Outbox rows waiting (pending) or given up on (dead-letter), across all instances',
    labelNames: ['status'],
    registers,
    async collect () {
      const s = await store.outboxStats().catch(() => undefined)
      if (s === undefined) return
      this.set({ status: 'pending' }, s.pending)
      this.set({ status: 'dead-letter' }, s.deadLetter)
    }
  })
  // eslint-disable-next-line no-new -- registered on the registry, read through it
  new Gauge({
    name: 'workwell_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest pending outbox row (0 when none is pending)',
    registers,
    async collect () {
      const s = await store.outboxStats().catch(() => undefined)
      if (s === undefined) return
      const oldest = s.oldestPendingCreatedAt === undefined ? undefined : Date.parse(s.oldestPendingCreatedAt)
      this.set(oldest === undefined ? 0 : Math.max(0, (clock.now().getTime() - oldest) / 1000))
    }
  })
  // eslint-disable-next-line no-new -- registered on the registry, read through it
  new Gauge({
    name: 'workwell_circuit_breaker_state',
    help: 'Circuit breaker per partnership as last recorded: 0 closed, 1 half-open, 2 open',
    labelNames: ['partnership'],
    registers,
    async collect () {
      this.reset()
      const circuits = await store.listCircuits().catch(() => [])
      const now = clock.now().toISOString()
      for (const c of circuits) {
        // an open circuit whose wait is over lets a probe through: it is half-open now
        const state = c.state === 'open' && c.openUntil !== undefined && c.openUntil <= now ? 'half-open' : c.state
        this.set({ partnership: c.partnershipId }, CIRCUIT_VALUE[state])
      }
    }
  })

  return {
    registry,
    request (route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) })
      latency.observe({ route, method }, seconds)
    },
    validationFailure (profile) { validation.inc({ profile }) },
    triageOutcome (outcome, partnership) { triage.inc({ outcome, partnership }) },
    delivery (partnership, status) { deliveries.inc({ partnership, status }) }
  }
}
