import type { Clock } from '../clock.ts'
import type { Store } from '../store/store.ts'
import { evaluateAlerts, type Alert, type AlertThresholds } from './alerts.ts'

/** What reading the alerts needs. */
export interface AlertSource {
  store: Pick<Store, 'outboxStats' | 'listCircuits'>
  clock: Clock
  thresholds: AlertThresholds
}

/** The alerts active now, read from the store (the whole deployment, not just this process). */
export async function readAlerts (source: AlertSource): Promise<Alert[]> {
  const [stats, circuits] = await Promise.all([source.store.outboxStats(), source.store.listCircuits()])
  return evaluateAlerts({ now: source.clock.now(), stats, circuits }, source.thresholds)
}
