import type { Clock } from '../clock.ts'
import { MappingFieldError } from '../mapping/evaluate-fields.ts'
import { mapReferral } from '../mapping/map-referral.ts'
import type { MapResult, Mapping } from '../mapping/mapping.ts'
import type { Partnership } from '../routing/partnership.ts'
import type { OutboxRow, Store } from '../store/store.ts'
import { backoffDelayMs } from './backoff.ts'
import { loadReferral } from './load-referral.ts'
import { classifyStatus } from './outcome.ts'
import type { PartnerClient } from './partner-client.ts'

/**
 * The part of a pino Logger the worker uses (a pino Logger satisfies it). Everything logged
 * through it is ids, statuses, attempts and timings: never names, NHS numbers or bodies.
 */
export interface DeliveryLogger {
  info: (obj: Record<string, unknown>, msg: string) => void
  warn: (obj: Record<string, unknown>, msg: string) => void
  error: (obj: Record<string, unknown>, msg: string) => void
}

/** Everything deliverRow needs, passed in. */
export interface DeliverRowDeps {
  store: Store
  partnerships: Map<string, Partnership>
  mappings: Map<string, Mapping>
  clock: Clock
  logger: DeliveryLogger
  client: PartnerClient
  /** uniform in [0, 1): the backoff jitter */
  random: () => number
}

/** Where a row ended after one attempt. */
export type RowOutcome = 'delivered' | 'retry' | 'dead-letter'

/**
 * Makes one delivery attempt for a claimed outbox row and records the result in the store:
 * delivered, a retry at a backed-off time, or a dead letter with the reason. Problems no
 * retry can fix (unknown partnership, missing resources, a mapping failure, a 4xx) are dead
 * letters at once; an operator fixes the cause and replays them.
 * @param row - a row this worker has claimed (leased)
 * @param deps - store, configuration, clock, logger, HTTP client and jitter source
 */
export async function deliverRow (row: OutboxRow, deps: DeliverRowDeps): Promise<RowOutcome> {
  const { store, clock, logger } = deps
  const attempt = row.attempts + 1
  const started = clock.now().getTime()
  const context = {
    outboxId: row.id,
    partnershipId: row.partnershipId,
    serviceRequestId: row.serviceRequestId,
    taskId: row.taskId,
    attempt
  }

  const deadLetter = async (reason: string, httpStatus?: number): Promise<RowOutcome> => {
    await store.markDeadLetter(row.id, reason, clock.now())
    logger.warn({ ...context, status: 'dead-letter', httpStatus, reason, durationMs: clock.now().getTime() - started }, 'delivery dead-lettered')
    return 'dead-letter'
  }

  const partnership = deps.partnerships.get(row.partnershipId)
  if (partnership === undefined) {
    return deadLetter(`unknown partnership '${row.partnershipId}'`)
  }
  const mapping = deps.mappings.get(row.partnershipId)
  if (mapping === undefined) {
    return deadLetter(`no mapping for partnership '${row.partnershipId}'`)
  }
  if (mapping.format !== partnership.delivery.format) {
    return deadLetter(`mapping format ${mapping.format} differs from delivery format ${partnership.delivery.format}`)
  }

  const referral = await loadReferral(store, row.serviceRequestId, row.taskId)
  if (!referral.ok) {
    return deadLetter(referral.reason)
  }

  let mapped: MapResult
  try {
    mapped = mapReferral(mapping, referral)
  } catch (err) {
    // MappingFieldError names only the field; anything else is reduced to its class name
    const why = err instanceof MappingFieldError ? err.message : `unexpected ${err instanceof Error ? err.name : 'error'}`
    return deadLetter(`mapping failed: ${why}`)
  }
  if (!mapped.ok) {
    return deadLetter(`mapping failed: missing required field(s) ${mapped.missing.join(', ')}`)
  }

  const result = await deps.client.send({
    endpoint: partnership.delivery.endpoint,
    contentType: mapped.contentType,
    body: mapped.body,
    deliveryId: row.id
  })

  let failure: string
  if (result.kind === 'response') {
    const verdict = classifyStatus(result.status)
    if (verdict === 'delivered') {
      await store.markDelivered(row.id, clock.now(), result.status)
      logger.info({ ...context, status: 'delivered', httpStatus: result.status, durationMs: clock.now().getTime() - started }, 'delivery delivered')
      return 'delivered'
    }
    if (verdict === 'reject') {
      return deadLetter(`HTTP ${result.status} (rejected by partner)`, result.status)
    }
    failure = `HTTP ${result.status}`
  } else if (!result.retryable) {
    return deadLetter(result.error)
  } else {
    failure = result.error
  }

  const httpStatus = result.kind === 'response' ? result.status : undefined
  if (attempt >= partnership.delivery.maxAttempts) {
    return deadLetter(`gave up after ${attempt} attempt(s): ${failure}`, httpStatus)
  }
  const now = clock.now()
  const delayMs = backoffDelayMs(attempt, deps.random)
  await store.scheduleRetry(row.id, new Date(now.getTime() + delayMs), failure, now)
  logger.warn({ ...context, status: 'retry', httpStatus, reason: failure, retryInMs: delayMs, durationMs: now.getTime() - started }, 'delivery failed, will retry')
  return 'retry'
}
