import type { Task } from '@medplum/fhirtypes'
import type { Clock } from '../clock.ts'
import { backoffDelayMs, type BackoffPolicy } from '../delivery/backoff.ts'
import type { CircuitBreakers } from '../delivery/circuit-breaker.ts'
import type { DeliveryLogger } from '../delivery/delivery-logger.ts'
import { classifyStatus } from '../delivery/outcome.ts'
import type { PartnerClient } from '../delivery/partner-client.ts'
import { parseRetryAfter } from '../delivery/retry-after.ts'
import { FHIR_JSON } from '../fhir/media-type.ts'
import { nameUuid } from '../mapping/name-uuid.ts'
import type { DeliverySettlement, NewOutboxRow, OutboxRow, Store, StoredResource } from '../store/store.ts'
import type { EndpointCatalogue } from './endpoint-catalogue.ts'
import { readEnvelope, type Envelope } from './envelope.ts'
import { responseMessage } from './response-message.ts'

/** The outbox kind of a BaRS response row (the partnership referral rows are the other kind). */
export const BARS_RESPONSE_KIND = 'bars-response'

/** Task statuses a referrer hears about: a partnership's decision and its progress (BaRS status updates). */
export const OUTCOME_STATUSES: ReadonlySet<string> = new Set(['accepted', 'rejected', 'in-progress', 'completed'])

/**
 * The outbox column partnership_id of a BaRS response row: the referrer's endpoint, so the
 * worker's per-destination circuit breaker and the admin listing treat each referrer as one
 * destination, apart from the partnerships.
 */
export function barsDestination (sourceEndpoint: string): string {
  return `bars:${sourceEndpoint}`
}

/**
 * Attempts at one response message before it is a dead letter. Partnerships set theirs in
 * their routing file; referrers have no such file, so this is the gateway's own choice (with
 * the default backoff, 10 attempts span about half an hour before the cap is reached).
 */
export const BARS_RESPONSE_MAX_ATTEMPTS = 10

/**
 * The outbox row that tells the referrer about a Task's move, when the referral came as a
 * BaRS message and the move is one it hears about; undefined otherwise. Pure. The caller
 * writes the row in the same transaction as the Task version. The row carries that Task
 * version (payload), so the message reports the move it was queued for, even when the
 * Task has moved again before it is sent.
 */
export function outcomeRow (envelope: Envelope | undefined, before: Pick<Task, 'status'>, after: Task & { id: string }, serviceRequestId: string, id: string, now: Date): (NewOutboxRow & { kind: typeof BARS_RESPONSE_KIND, payload: string }) | undefined {
  if (envelope === undefined || before.status === after.status || !OUTCOME_STATUSES.has(after.status)) return undefined
  return { id, kind: BARS_RESPONSE_KIND, partnershipId: barsDestination(envelope.responseEndpoint), serviceRequestId, taskId: after.id, createdAt: now.toISOString(), payload: JSON.stringify(after) }
}

/** The Task version a BaRS response row was queued with; undefined when it holds none. */
function taskOfRow (row: OutboxRow): (Task & { id: string }) | undefined {
  if (row.payload === undefined) return undefined
  const parsed = JSON.parse(row.payload) as unknown
  if (parsed === null || typeof parsed !== 'object' || (parsed as { resourceType?: unknown }).resourceType !== 'Task') return undefined
  const task = parsed as Task
  return task.id === row.taskId ? { ...task, id: task.id } : undefined
}

export interface BarsResponseDeps {
  /** read only: the Task and the referral's envelope */
  store: Pick<Store, 'readResource'>
  catalogue: EndpointCatalogue
  client: PartnerClient
  /** the worker's breakers: each referrer endpoint is a destination of its own */
  breakers: CircuitBreakers
  clock: Clock
  logger: DeliveryLogger
  backoff: BackoffPolicy
  random: () => number
  maxAttempts: number
  ownServiceId: string
  baseUrl: string
  version: string
}

/**
 * One attempt at a BaRS response row: the Task version the row was queued with, as a servicerequest-response message
 * (response.identifier = the original Bundle.id) POSTed to the referrer's own
 * $process-message, found through the endpoint catalogue by the stored source endpoint
 * (IG End-to-end-workflow, "Reversing roles"). The row id is the message's X-Request-Id
 * and Bundle.id, the same on every retry, so the referrer can answer a repeat 409 duplicate,
 * which counts as delivered; X-Correlation-Id is the conversation's. Retries, dead letters
 * and the circuit breaker follow the partnership rows' rules (deliver-row.ts: outcome.ts,
 * backoff.ts; a referrer whose circuit is open is deferred, not attempted).
 */
export async function deliverBarsResponse (row: OutboxRow, deps: BarsResponseDeps): Promise<DeliverySettlement> {
  const attempt = row.attempts + 1
  const context = { outboxId: row.id, kind: BARS_RESPONSE_KIND, serviceRequestId: row.serviceRequestId, taskId: row.taskId, attempt }
  const deadLetter = (reason: string, responseStatus?: number): DeliverySettlement => {
    deps.logger.warn({ ...context, status: 'dead-letter', httpStatus: responseStatus, reason }, 'bars response dead-lettered')
    return responseStatus === undefined ? { id: row.id, outcome: 'dead-letter', error: reason } : { id: row.id, outcome: 'dead-letter', error: reason, responseStatus }
  }
  const envelope = readEnvelope((await deps.store.readResource('MessageHeader', row.serviceRequestId))?.resource)
  if (envelope === undefined) return deadLetter(`no BaRS envelope for ServiceRequest/${row.serviceRequestId}`)
  const target = deps.catalogue.resolve(envelope.responseEndpoint)
  if (target === undefined) return deadLetter(`${envelope.responseEndpoint} is not in the endpoint catalogue`)
  let version: (Task & { id: string }) | undefined
  try {
    version = taskOfRow(row)
  } catch {
    version = undefined
  }
  if (version === undefined) return deadLetter(`row holds no Task/${row.taskId} version to report`)
  const task: StoredResource = { resourceType: 'Task', id: version.id, versionId: version.meta?.versionId ?? '', lastUpdated: version.meta?.lastUpdated ?? row.createdAt, resource: version }

  const [system, value] = envelope.responseEndpoint.split('|')
  const body = JSON.stringify(responseMessage({
    id: row.id,
    headerId: nameUuid(`bars-response-header|${row.id}`),
    outcomeId: nameUuid(`bars-response-outcome|${row.id}`),
    now: new Date(row.createdAt),
    requestBundleId: envelope.bundleId,
    destination: envelope.responseEndpoint,
    // from the service the referral was sent to (a partnership's own service id, or the gateway's)
    source: envelope.serviceId ?? deps.ownServiceId,
    baseUrl: deps.baseUrl,
    softwareVersion: deps.version,
    task
  }))
  // asked last, just before sending: the circuit may have opened while this row waited
  const sendAt = deps.clock.now()
  const admission = deps.breakers.admit(row.partnershipId, sendAt)
  if (admission === 'deny') return { id: row.id, outcome: 'deferred', nextAttemptAt: deps.breakers.retryAt(row.partnershipId, sendAt) }
  const result = await deps.client.send({
    partnershipId: row.partnershipId,
    endpoint: target.url,
    contentType: `${FHIR_JSON}; version=1.0.0`,
    body,
    deliveryId: row.id,
    headers: {
      'x-correlation-id': envelope.correlationId,
      accept: FHIR_JSON,
      'nhsd-target-identifier': Buffer.from(JSON.stringify({ system, value }), 'utf8').toString('base64')
    }
  })
  const now = deps.clock.now()
  let failure: string
  let retryAfterMs: number | undefined
  let httpStatus: number | undefined
  if (result.kind === 'response') {
    httpStatus = result.status
    // BaRS: 409 duplicate means the referrer already has this message: delivered
    const verdict = result.status === 409 && result.reason?.includes('error duplicate') === true ? 'delivered' : classifyStatus(result.status)
    // any answer other than 408/429/5xx shows the referrer is up, even a rejection
    deps.breakers.record(row.partnershipId, admission, verdict === 'retry' ? 'failure' : 'success', now)
    if (verdict === 'delivered') {
      deps.logger.info({ ...context, status: 'delivered', httpStatus }, 'bars response delivered')
      return { id: row.id, outcome: 'delivered', responseStatus: result.status }
    }
    if (verdict === 'reject') return deadLetter(`HTTP ${result.status} (rejected by referrer)${result.reason === undefined ? '' : `: ${result.reason}`}`, result.status)
    failure = `HTTP ${result.status}`
    retryAfterMs = parseRetryAfter(result.retryAfter, now)
  } else if (!result.retryable) {
    // nothing reached the referrer, so this says nothing about its health
    deps.breakers.record(row.partnershipId, admission, 'success', now)
    return deadLetter(result.error)
  } else {
    deps.breakers.record(row.partnershipId, admission, 'failure', now)
    failure = result.error
  }
  if (attempt >= deps.maxAttempts) return deadLetter(`gave up after ${attempt} attempt(s): ${failure}`, httpStatus)
  const delayMs = Math.max(backoffDelayMs(attempt, deps.random, deps.backoff), Math.min(retryAfterMs ?? 0, deps.backoff.capMs))
  deps.logger.warn({ ...context, status: 'retry', httpStatus, reason: failure, retryInMs: delayMs }, 'bars response failed, will retry')
  return { id: row.id, outcome: 'retry', nextAttemptAt: new Date(now.getTime() + delayMs), error: failure, ...(httpStatus === undefined ? {} : { responseStatus: httpStatus }) }
}
