import { Gauge, type Registry } from 'prom-client'
import { readAlerts, type AlertSource } from './read-alerts.ts'

/**
 * `workwell_delivery_alert_active{alert,partnership}`: 1 for each active alert, read from the
 * store at scrape time; an alert that cleared is gone from the next scrape. For Prometheus
 * rules: `workwell_delivery_alert_active{alert="ReferralDeadLettered"} == 1`.
 */
export function registerAlertMetric (registry: Registry, source: AlertSource): void {
  // eslint-disable-next-line no-new -- registered on the registry, read through it
  new Gauge({
    name: 'workwell_delivery_alert_active',
    help: 'Active delivery alerts (1 each): ReferralDeadLettered, ReferralDeliveryDelayed, PartnerCircuitOpenLong, by partnership where it has one',
    labelNames: ['alert', 'partnership'],
    registers: [registry],
    async collect () {
      const alerts = await readAlerts(source).catch(() => undefined)
      if (alerts === undefined) return
      this.reset()
      for (const a of alerts) this.set({ alert: a.name, partnership: a.partnershipId ?? '' }, 1)
    }
  })
}
