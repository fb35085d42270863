import type { Clock } from '../clock.ts'
import { fileDropDirectory } from '../mapping/daily-drop.ts'
import { MappingFieldError } from '../mapping/evaluate-fields.ts'
import { mapReferral } from '../mapping/map-referral.ts'
import type { MapResult, Mapping } from '../mapping/mapping.ts'
import type { Partnership } from '../routing/partnership.ts'
import type { DeliverySettlement, OutboxRow } from '../store/outbox-store.ts'
import type { ResourceStore } from '../store/resource-store.ts'
import type { BackoffPolicy } from './backoff.ts'
import { decideRetry } from './retry-window.ts'
import type { CircuitBreakers } from './circuit-breaker.ts'
import type { DeliveryLogger } from './delivery-logger.ts'
import type { FileDrop } from './file-drop.ts'
import { loadReferral } from './load-referral.ts'
import { classifyStatus } from './outcome.ts'
import type { PartnerClient } from './partner-client.ts'
import { parseRetryAfter } from './retry-after.ts'
import type { DeliverySigner } from './signature.ts'
import { SIGNATURE_HEADER } from './signature.ts'

export type { DeliveryLogger } from './delivery-logger.ts'

/** Everything deliverRow needs, passed in. */
export interface DeliverRowDeps {
  /** read only: the referral to map (outcomes are recorded by the caller) */
  store: Pick<ResourceStore, 'readResource'>
  partnerships: Map<string, Partnership>
  mappings: Map<string, Mapping>
  clock: Clock
  logger: DeliveryLogger
  client: PartnerClient
  /** appends csv referrals to daily files, for partnerships whose endpoint is a folder */
  fileDrop: FileDrop
  /** the gateway's data folder: a relative file-drop folder lives inside it */
  dataDir?: string
  breakers: CircuitBreakers
  signer: DeliverySigner
  backoff: BackoffPolicy
  /** uniform in [0, 1): the backoff jitter */
  random: () => number
  /** how long a referral is retried, unless its partnership says otherwise (retry-window.ts) */
  retryWindowMs: number
  /** the open circuit's probe interval: the longest a row waits while its partner is down */
  probeIntervalMs: number
}

/**
 * Makes one delivery attempt for a claimed outbox row and says how it ended, for the caller
 * to record: delivered, a retry at a backed-off time, a dead letter with the reason, or
 * deferred (not sent: the partnership's circuit is open). A partnership whose endpoint is a
 * folder rather than an http(s) URL gets its csv rows appended to a daily file instead of
 * a POST (file-drop.ts). Problems no retry can fix (unknown
 * partnership, missing resources, a mapping failure, a 4xx other than 408/429) are dead
 * letters at once; an operator fixes the cause and replays them.
 * @param row - a row this worker has claimed (leased)
 * @param deps - store, configuration, clock, logger, HTTP client, breakers, signer, jitter
 */
export async function deliverRow (row: OutboxRow, deps: DeliverRowDeps): Promise<DeliverySettlement> {
  const { clock, logger } = deps
  const attempt = row.attempts + 1
  const started = clock.now().getTime()
  const context = {
    outboxId: row.id,
    partnershipId: row.partnershipId,
    serviceRequestId: row.serviceRequestId,
    taskId: row.taskId,
    attempt
  }
  const elapsed = (): number => clock.now().getTime() - started

  const deadLetter = (reason: string, httpStatus?: number): DeliverySettlement => {
    logger.warn({ ...context, status: 'dead-letter', httpStatus, reason, durationMs: elapsed() }, 'delivery dead-lettered')
    return httpStatus === undefined
      ? { id: row.id, outcome: 'dead-letter', error: reason }
      : { id: row.id, outcome: 'dead-letter', error: reason, responseStatus: httpStatus }
  }

  const partnership = deps.partnerships.get(row.partnershipId)
  if (partnership === undefined) {
    return deadLetter(`unknown partnership '${row.partnershipId}'`)
  }
  const windowHours = partnership.delivery.retryWindowHours
  const windowMs = windowHours === undefined ? deps.retryWindowMs : Math.round(windowHours * 3_600_000)

  /** A failure a later attempt may get past: retried after a backoff, or a dead letter once the retry window ended. */
  const retryOrGiveUp = (failure: string, httpStatus: number | undefined, retryAfterMs: number | undefined): DeliverySettlement => {
    const now = clock.now()
    const decision = decideRetry({
      createdAt: new Date(row.createdAt),
      now,
      attempt,
      windowMs,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      partnerDown: deps.breakers.down(row.partnershipId, now),
      probeIntervalMs: deps.probeIntervalMs,
      backoff: deps.backoff,
      random: deps.random
    })
    if (decision.kind === 'give-up') {
      return deadLetter(`${decision.reason} after ${attempt} attempt(s): ${failure}`, httpStatus)
    }
    const delayMs = decision.delayMs
    logger.warn({ ...context, status: 'retry', httpStatus, reason: failure, retryInMs: delayMs, durationMs: elapsed() }, 'delivery failed, will retry')
    const settlement: DeliverySettlement = { id: row.id, outcome: 'retry', nextAttemptAt: decision.at, error: failure }
    if (httpStatus !== undefined) settlement.responseStatus = httpStatus
    return settlement
  }

  const mapping = deps.mappings.get(row.partnershipId)
  if (mapping === undefined) {
    return deadLetter(`no mapping for partnership '${row.partnershipId}'`)
  }
  if (mapping.format !== partnership.delivery.format) {
    return deadLetter(`mapping format ${mapping.format} differs from delivery format ${partnership.delivery.format}`)
  }

  const referral = await loadReferral(deps.store, row.serviceRequestId, row.taskId)
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

  let dropDirectory: string | undefined
  try {
    dropDirectory = fileDropDirectory(partnership.delivery.endpoint, deps.dataDir)
  } catch (err) {
    return deadLetter(err instanceof Error ? err.message : 'invalid file drop')
  }
  if (dropDirectory !== undefined) {
    if (mapping.format !== 'csv') {
      return deadLetter(`a daily file drop takes csv, not ${mapping.format}`)
    }
    // a folder is no partner that can be down, so the circuit breaker stays out of it; a
    // failing disk is retried with backoff like any other failure
    const dropped = await deps.fileDrop.append({ partnershipId: row.partnershipId, directory: dropDirectory, referralId: row.serviceRequestId, mapped, at: clock.now() })
    if (dropped.kind !== 'failure') {
      logger.info({ ...context, status: 'delivered', fileDrop: dropped.kind, durationMs: elapsed() }, 'delivery delivered')
      return { id: row.id, outcome: 'delivered' }
    }
    return retryOrGiveUp(dropped.error, undefined, undefined)
  }

  // asked last, just before sending: the circuit may have opened while this row waited
  const sendAt = clock.now()
  const admission = deps.breakers.admit(row.partnershipId, sendAt)
  if (admission === 'deny') {
    return { id: row.id, outcome: 'deferred', nextAttemptAt: deps.breakers.retryAt(row.partnershipId, sendAt) }
  }
  const signature = deps.signer.sign(row.partnershipId, mapped.body, sendAt)
  const result = await deps.client.send({
    partnershipId: row.partnershipId,
    endpoint: partnership.delivery.endpoint,
    contentType: mapped.contentType,
    body: mapped.body,
    deliveryId: row.id,
    ...(signature === undefined ? {} : { headers: { [SIGNATURE_HEADER]: signature } })
  })
  const now = clock.now()

  let failure: string
  let retryAfterMs: number | undefined
  if (result.kind === 'response') {
    const verdict = classifyStatus(result.status)
    // any answer other than 408/429/5xx shows the partner is up, even a rejection
    deps.breakers.record(row.partnershipId, admission, verdict === 'retry' ? 'failure' : 'success', now)
    if (verdict === 'delivered') {
      logger.info({ ...context, status: 'delivered', httpStatus: result.status, probe: admission === 'probe', durationMs: elapsed() }, 'delivery delivered')
      return { id: row.id, outcome: 'delivered', responseStatus: result.status }
    }
    if (verdict === 'reject') {
      const reason = result.reason === undefined ? '' : `: ${result.reason}`
      return deadLetter(`HTTP ${result.status} (rejected by partner)${reason}`, result.status)
    }
    failure = `HTTP ${result.status}`
    retryAfterMs = parseRetryAfter(result.retryAfter, now)
  } else if (!result.retryable) {
    // nothing reached the partner, so this says nothing about its health
    deps.breakers.record(row.partnershipId, admission, 'success', now)
    return deadLetter(result.error)
  } else {
    deps.breakers.record(row.partnershipId, admission, 'failure', now)
    failure = result.error
  }

  return retryOrGiveUp(failure, result.kind === 'response' ? result.status : undefined, retryAfterMs)
}
