import type { Clock } from '../clock.ts'
import type { Store } from '../store/store.ts'
import { evaluateAlerts, type Alert, type AlertThresholds, type RulesReview } from './alerts.ts'

/** What reading the alerts needs. */
export interface AlertSource {
  store: Pick<Store, 'outboxStats' | 'listCircuits'>
  clock: Clock
  thresholds: AlertThresholds
  /** each partnership's rule review dates (fixed at start, from the loaded rules) */
  reviews?: readonly RulesReview[]
}

/** The alerts active now, read from the store (the whole deployment, not just this process). */
export async function readAlerts (source: AlertSource): Promise<Alert[]> {
  const [stats, circuits] = await Promise.all([source.store.outboxStats(), source.store.listCircuits()])
  return evaluateAlerts({ now: source.clock.now(), stats, circuits, ...(source.reviews === undefined ? {} : { reviews: source.reviews }) }, source.thresholds)
}
