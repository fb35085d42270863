import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Registry } from 'prom-client'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import { adminAlertRoutes } from '../routes/admin-alerts.ts'
import { systemScheduler, type Scheduler } from '../scheduler.ts'
import type { CircuitStore } from '../store/circuit-store.ts'
import type { OutboxStore } from '../store/outbox-store.ts'
import type { RetentionStore } from '../store/retention-store.ts'
import { createAlertMonitor } from './alert-monitor.ts'
import { registerAlertMetric } from './alert-metric.ts'
import type { AlertSource } from './read-alerts.ts'
import type { RulesReview } from './alerts.ts'
import { createPruneSchedule } from '../retention/prune-schedule.ts'

/** What the operations plugin needs from the app. */
export interface OperationsOptions {
  config: Config
  store: Pick<OutboxStore, 'outboxStats'> & Pick<CircuitStore, 'listCircuits'> & RetentionStore
  clock: Clock
  /** the app's metrics registry */
  registry: Registry
  scheduler?: Scheduler
  /** each partnership's rule review dates, raised as alerts once passed */
  reviews?: readonly RulesReview[]
}

/**
 * Delivery operations in the server: the alert metric, `GET /admin/alerts`, the alert monitor
 * (log lines on raise and clear) and the scheduled prune (src/retention/). Registered by the
 * app with one line.
 */
async function operations (app: FastifyInstance, opts: OperationsOptions): Promise<void> {
  const scheduler = opts.scheduler ?? systemScheduler
  const source: AlertSource = { store: opts.store, clock: opts.clock, thresholds: opts.config.alerts, ...(opts.reviews === undefined ? {} : { reviews: opts.reviews }) }
  registerAlertMetric(opts.registry, source)
  await app.register(adminAlertRoutes, source)
  const monitor = createAlertMonitor({ ...source, logger: app.log.child({ component: 'alerts' }), scheduler, intervalMs: opts.config.alerts.checkIntervalMs })
  const prune = createPruneSchedule({ store: opts.store, clock: opts.clock, scheduler, logger: app.log.child({ component: 'retention' }), retention: opts.config.retention })
  app.addHook('onReady', async () => {
    monitor.start()
    prune.start()
  })
  app.addHook('onClose', async () => {
    monitor.stop()
    await prune.stop()
  })
}

export const operationsPlugin = fp(operations, { name: 'workwell-operations', fastify: '5.x' })
