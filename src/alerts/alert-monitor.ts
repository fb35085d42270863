import type { Scheduler } from '../scheduler.ts'
import type { DeliveryLogger } from '../delivery/delivery-logger.ts'
import { failureFields } from '../delivery/failure-log.ts'
import type { Alert } from './alerts.ts'
import { readAlerts, type AlertSource } from './read-alerts.ts'

/** Checks the alerts on a schedule and logs each one once when raised and once when cleared. */
export interface AlertMonitor {
  start: () => void
  stop: () => void
  /** One check now; resolves to the active alerts. */
  check: () => Promise<Alert[]>
  /** The alerts of the last check. */
  current: () => Alert[]
}

/**
 * Creates the alert monitor. A raised alert is a warning line naming the alert, its
 * partnership and its coded detail (`alert raised`); a cleared one an info line (`alert
 * cleared`). The metric and GET /admin/alerts read the store themselves, so they do not
 * depend on this process having checked.
 */
export function createAlertMonitor (source: AlertSource & { logger: DeliveryLogger, scheduler: Scheduler, intervalMs: number }): AlertMonitor {
  let active = new Map<string, Alert>()
  let cancel: (() => void) | undefined
  let stopped = false

  const check = async (): Promise<Alert[]> => {
    const alerts = await readAlerts(source)
    const next = new Map(alerts.map((a) => [a.key, a]))
    for (const [key, a] of next) {
      if (!active.has(key)) source.logger.warn({ alert: a.name, kind: a.kind, partnershipId: a.partnershipId, since: a.since, detail: a.detail }, 'alert raised')
    }
    for (const [key, a] of active) {
      if (!next.has(key)) source.logger.info({ alert: a.name, partnershipId: a.partnershipId }, 'alert cleared')
    }
    active = next
    return alerts
  }

  const tick = (): void => {
    if (stopped) return
    check().catch((err: unknown) => {
      source.logger.error(failureFields('alerts-check-failed', err), 'alert check failed')
    }).finally(() => {
      if (!stopped) cancel = source.scheduler.after(source.intervalMs, tick)
    })
  }

  return {
    start () {
      stopped = false
      tick()
    },
    stop () {
      stopped = true
      cancel?.()
      cancel = undefined
    },
    check,
    current: () => [...active.values()]
  }
}
