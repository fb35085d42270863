import type { Dispatcher } from 'undici'
import type { Clock } from '../clock.ts'
import { timeOrderedIds } from '../time-ordered-id.ts'
import type { Mapping } from '../mapping/mapping.ts'
import type { Partnership } from '../routing/partnership.ts'
import { BARS_RESPONSE_KIND, BARS_RESPONSE_MAX_ATTEMPTS, deliverBarsResponse, type BarsResponseDeps } from '../bars/outcome-messages.ts'
import type { EndpointCatalogue } from '../bars/endpoint-catalogue.ts'
import type { CircuitStore } from '../store/circuit-store.ts'
import type { DeliverySettlement, OutboxRow, OutboxStore } from '../store/outbox-store.ts'
import type { ResourceStore } from '../store/resource-store.ts'
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts'
import { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.ts'
import { errorClass, failureFields } from './failure-log.ts'
import type { BackoffPolicy } from './backoff.ts'
import { createCircuitBreakers, DEFAULT_BREAKER } from './circuit-breaker.ts'
import type { BreakerPolicy, CircuitBreakers } from './circuit-breaker.ts'
import { createConcurrencyLimits, DEFAULT_LIMITS, limitSignal } from './concurrency-limit.ts'
import type { ConcurrencyLimits, LimitPolicy } from './concurrency-limit.ts'
import { DEFAULT_RETRY_WINDOW_MS } from './retry-window.ts'
import { systemScheduler } from '../scheduler.ts'
import type { Scheduler } from '../scheduler.ts'
import { deliverRow } from './deliver-row.ts'
import type { DeliveryLogger } from './delivery-logger.ts'
import { createFileDrop } from './file-drop.ts'
import { createPartnerClient } from './partner-client.ts'
import { createSettler } from './settler.ts'
import { createSigner } from './signature.ts'
import { deliveryAudit } from '../audit/delivery-audit.ts'

/**
 * What the delivery worker uses of the store: the outbox it claims and settles, the circuit
 * state it restores and records, and the referrals it reads to map.
 */
export type DeliveryStore = Pick<OutboxStore, 'claimDueDeliveries' | 'settleDeliveries'> & CircuitStore & Pick<ResourceStore, 'readResource'>

/** Everything the delivery worker needs, passed in. */
export interface DeliveryWorkerDeps {
  store: DeliveryStore
  partnerships: Map<string, Partnership>
  mappings: Map<string, Mapping>
  clock: Clock
  logger: DeliveryLogger
  /** ids for the attempts' AuditEvents (default: time-ordered, as the gateway's own) */
  newId?: () => string
  /** wait between polls when nothing more was due */
  pollIntervalMs: number
  /** rows claimed per store round trip */
  batchSize: number
  /** deliveries in flight at once, across partnerships (default: batchSize) */
  concurrency?: number
  /** sockets per partnership Pool (default: batchSize) */
  connections?: number
  /** how long a claimed row stays ours; must outlast a request */
  leaseMs: number
  /** per-request limit for headers, body, and the whole attempt */
  requestTimeoutMs: number
  /** TCP/TLS connect limit (default: requestTimeoutMs) */
  connectTimeoutMs?: number
  backoff?: BackoffPolicy
  /** circuit breaker: failure rate over a window, probe interval (default DEFAULT_BREAKER) */
  breaker?: Partial<BreakerPolicy>
  /** per-partnership adaptive concurrency (default: up to `concurrency`, DEFAULT_LIMITS) */
  limits?: Partial<LimitPolicy>
  /** how long a failing referral is retried before it is a dead letter (default 5 days) */
  retryWindowMs?: number
  /** the poll timer (default: setTimeout, unref'd) */
  scheduler?: Scheduler
  /** HMAC keys by partnership id; a partnership without one is delivered unsigned */
  secrets?: Readonly<Record<string, string>>
  /** used instead of the per-partnership Pools (tests); the caller closes it */
  dispatcher?: Dispatcher
  /** uniform in [0, 1) for backoff jitter; Math.random when absent */
  random?: () => number
  /** the data folder, where a relative daily-file-drop endpoint lives (without it only file:/// drops work) */
  dataDir?: string
  /** how long a recorded outcome waits for others to share its commit (default 10 ms; settler.ts) */
  settleLingerMs?: number
  /**
   * where BaRS response rows go (bars/outcome-messages.ts); without it such a row is a dead
   * letter, which an operator replays once the worker is configured
   */
  bars?: BarsWorkerConfig
  /** counts each attempt once its outcome is committed (workwell_deliveries_total) */
  metrics?: Pick<GatewayMetrics, 'delivery'>
}

/** What the worker needs to send BaRS response messages back to referrers. */
export interface BarsWorkerConfig {
  catalogue: EndpointCatalogue
  /** the gateway's own BaRS endpoint (system|value) */
  ownServiceId: string
  baseUrl: string
  version: string
  /** default BARS_RESPONSE_MAX_ATTEMPTS */
  maxAttempts?: number
}

/** The outbox worker's lifecycle. */
export interface DeliveryWorker {
  /** Restores recorded circuit state, then polls until stop(). */
  start: () => void
  /** Stops claiming, waits for the attempts in flight and their bookkeeping, then closes the HTTP pools. */
  stop: () => Promise<void>
  /** Claims one batch of due rows, makes one attempt at each and records it; resolves to the number claimed. */
  runOnce: () => Promise<number>
  /** The per-partnership circuit breakers (state for operators and tests). */
  breakers: CircuitBreakers
  /** The per-partnership adaptive concurrency limits (state for operators and tests). */
  limits: ConcurrencyLimits
}

/**
 * Creates the delivery worker: it claims due outbox rows, maps each referral and POSTs it to
 * its partnership, recording delivered / retry / dead letter / deferred (deliver-row.ts).
 * Attempts are pipelined: up to `concurrency` are in flight, and a slot that frees up is
 * refilled without waiting for the rest of its batch, so one slow partner does not hold back
 * the others. Outcomes are group-committed (settler.ts). Delivery is at-least-once: a crash
 * between the POST and the commit means a second POST with the same Idempotency-Key once the
 * lease runs out.
 * @param deps - store, configuration, clock, logger and optional dispatcher
 */
export function createDeliveryWorker (deps: DeliveryWorkerDeps): DeliveryWorker {
  if (deps.leaseMs <= deps.requestTimeoutMs) {
    // a lease that ends mid-request lets another worker send the same row in parallel
    throw new Error('delivery worker: leaseMs must be greater than requestTimeoutMs')
  }
  const { store, clock, logger } = deps
  const newId = deps.newId ?? timeOrderedIds()
  const concurrency = deps.concurrency ?? deps.batchSize
  const backoff = deps.backoff ?? DEFAULT_BACKOFF
  const client = createPartnerClient({
    requestTimeoutMs: deps.requestTimeoutMs,
    connectTimeoutMs: deps.connectTimeoutMs ?? deps.requestTimeoutMs,
    connections: deps.connections ?? deps.batchSize,
    dispatcher: deps.dispatcher
  })
  const scheduler = deps.scheduler ?? systemScheduler
  const breakerPolicy: BreakerPolicy = { ...DEFAULT_BREAKER, ...deps.breaker }
  const limits = createConcurrencyLimits({ max: concurrency, ...DEFAULT_LIMITS, ...deps.limits })
  const breakers = createCircuitBreakers(
    breakerPolicy,
    (record) => {
      const fields = { partnershipId: record.partnershipId, circuit: record.state, failuresInWindow: record.consecutiveFailures, openUntil: record.openUntil }
      // called as methods: a pino logger's methods need their `this` (taken off the object they
      // threw a TypeError, which cost the attempt its recorded outcome)
      if (record.state === 'closed') logger.info(fields, `circuit ${record.state}`)
      else logger.warn(fields, `circuit ${record.state}`)
      store.saveCircuit(record).catch((err: unknown) => {
        logger.error({ partnershipId: record.partnershipId, ...failureFields('circuit-not-saved', err) }, 'circuit state could not be recorded')
      })
    })
  // a few milliseconds of linger turn hundreds of fsyncs a second into tens (settler.ts)
  const settler = createSettler(store, clock, 1_000, deps.settleLingerMs ?? 10)
  const rowDeps = {
    store,
    partnerships: deps.partnerships,
    mappings: deps.mappings,
    clock,
    logger,
    client,
    fileDrop: createFileDrop(),
    ...(deps.dataDir === undefined ? {} : { dataDir: deps.dataDir }),
    breakers,
    signer: createSigner(deps.secrets ?? {}, logger),
    backoff,
    random: deps.random ?? Math.random,
    retryWindowMs: deps.retryWindowMs ?? DEFAULT_RETRY_WINDOW_MS,
    probeIntervalMs: breakerPolicy.openMs
  }
  const attempts = new Set<Promise<void>>()
  let claiming: Promise<number> | undefined
  let stopped = false
  let started = false
  /** the last bulk claim filled its limit: more rows are probably due */
  let bulkFull = false
  /** partnerships whose last claim took every free slot they had: more of their rows are probably due */
  const hungry = new Set<string>()
  /** an attempt ended while a claim was running: claim again when it is done */
  let refillWanted = false
  const backlog = (): boolean => bulkFull || hungry.size > 0
  /**
   * Rows claimed for a partnership beyond its free slots, started as its attempts end: a
   * degraded partner on a small adaptive limit is then fed without a store round trip (and,
   * on SQLite, an fsync) per attempt. Each keeps the time it was claimed, for its lease.
   */
  const waiting = new Map<string, Array<{ row: OutboxRow, claimedAt: number }>>()
  const waitingCount = (): number => [...waiting.values()].reduce((n, q) => n + q.length, 0)
  let cancelTimer: (() => void) | undefined

  const barsDeps: BarsResponseDeps | undefined = deps.bars === undefined
    ? undefined
    : {
        store,
        catalogue: deps.bars.catalogue,
        client,
        breakers,
        clock,
        logger,
        backoff,
        random: rowDeps.random,
        maxAttempts: deps.bars.maxAttempts ?? BARS_RESPONSE_MAX_ATTEMPTS,
        ownServiceId: deps.bars.ownServiceId,
        baseUrl: deps.bars.baseUrl,
        version: deps.bars.version
      }

  /** One attempt at a row, by its kind: a partnership referral, or a BaRS response to a referrer. */
  const deliver = async (row: OutboxRow): Promise<DeliverySettlement> => {
    if (row.kind !== BARS_RESPONSE_KIND) return deliverRow(row, rowDeps)
    if (barsDeps !== undefined) return deliverBarsResponse(row, barsDeps)
    logger.warn({ outboxId: row.id, kind: row.kind, status: 'dead-letter' }, 'bars response dead-lettered: this worker has no BaRS configuration')
    return { id: row.id, outcome: 'dead-letter', error: 'this worker has no BaRS configuration (endpoint catalogue)' }
  }

  /** One attempt at a claimed row; its partnership's concurrency slot was taken at the claim. */
  const attemptOne = (row: OutboxRow): Promise<void> => {
    const run = (async () => {
      let settlement: DeliverySettlement
      try {
        settlement = await deliver(row)
      } catch (err) {
        // a bug, not a partner's failure: the row is retried with backoff rather than left
        // to wait out its lease, and the line says which class of error to look for
        logger.error({ outboxId: row.id, partnershipId: row.partnershipId, ...failureFields('attempt-crashed', err) }, 'delivery attempt failed inside the worker')
        const delayMs = backoffDelayMs(row.attempts + 1, rowDeps.random, backoff)
        settlement = { id: row.id, outcome: 'retry', nextAttemptAt: new Date(clock.now().getTime() + delayMs), error: `internal error (${errorClass(err)})` }
      }
      limits.release(row.partnershipId, limitSignal(settlement))
      try {
        // every delivery attempt leaves an AuditEvent, committed with its outcome in the
        // settler's group commit; a deferred row was not attempted and leaves none
        await settler.record(settlement, deliveryAudit(newId(), clock.now(), row, settlement))
        deps.metrics?.delivery(row.partnershipId, settlement.outcome)
      } catch (err) {
        // a store failure: the lease runs out and the row is tried again
        logger.error({ outboxId: row.id, partnershipId: row.partnershipId, ...failureFields('outcome-not-recorded', err) }, 'delivery attempt could not be recorded')
      }
    })()
    attempts.add(run)
    // run never rejects (errors are logged above), so nothing is left unhandled
    run.then(() => {
      attempts.delete(run)
      startWaiting(row.partnershipId)
      refill(row.partnershipId)
    }, () => undefined)
    return run
  }

  /**
   * Starts a partnership's waiting rows while it has free slots. A row whose lease would end
   * before an attempt could finish is released (deferred, due now) instead: sending it could
   * race another worker that has claimed it since.
   */
  const startWaiting = (partnershipId: string): void => {
    const queue = waiting.get(partnershipId)
    if (queue === undefined) return
    // stopping: every waiting row goes back at once
    const releaseAll = stopped
    for (;;) {
      if (!releaseAll && limits.free(partnershipId) <= 0) break
      const next = queue.shift()
      if (next === undefined) break
      const now = clock.now()
      if (releaseAll || now.getTime() > next.claimedAt + deps.leaseMs - deps.requestTimeoutMs) {
        settler.record({ id: next.row.id, outcome: 'deferred', nextAttemptAt: now }).then(() => {
          deps.metrics?.delivery(partnershipId, 'deferred')
        }, (err: unknown) => {
          logger.error({ outboxId: next.row.id, partnershipId, ...failureFields('outcome-not-recorded', err) }, 'delivery attempt could not be recorded')
        })
        continue
      }
      limits.acquire(partnershipId)
      attemptOne(next.row).catch(() => undefined)
    }
    if (queue.length === 0) waiting.delete(partnershipId)
  }

  /**
   * Claims up to limit rows: one probe per half-open partnership; then, for each partnership
   * whose adaptive limit leaves fewer free slots than a batch, its free slots (with `queue`, up
   * to four times its limit, the rest waiting for slots); then the rest in one claim from the
   * others. Each row started takes its partnership's slot at once.
   */
  const claim = async (limit: number, queue = false): Promise<OutboxRow[]> => {
    const now = clock.now()
    const rows: OutboxRow[] = []
    const take = async (n: number, filter: { partnershipIds?: string[], excludePartnershipIds?: string[] }): Promise<boolean> => {
      const got = await store.claimDueDeliveries(now, n, deps.leaseMs, filter)
      for (const row of got) limits.acquire(row.partnershipId)
      rows.push(...got)
      return got.length >= n
    }
    for (const id of breakers.probeDue(now)) {
      if (rows.length >= limit) break
      if (limits.free(id) > 0) await take(1, { partnershipIds: [id] })
    }
    const blocked = breakers.blocked(now)
    // every configured partnership, and any other destination seen (a BaRS referrer)
    const known = new Set([...deps.partnerships.keys(), ...limits.snapshot().map((l) => l.partnershipId)])
    const constrained = [...known].filter((id) => !blocked.includes(id) && limits.free(id) < limit)
    for (const id of constrained) {
      const free = limits.free(id)
      const queued = waiting.get(id)?.length ?? 0
      const want = Math.min(limit - rows.length, queue ? 4 * limits.limit(id) - (limits.limit(id) - free) - queued : free)
      // a partnership with no room keeps its hunger: the end of one of its attempts claims again
      if (want <= 0 || (free <= 0 && !queue)) continue
      const got = await store.claimDueDeliveries(now, want, deps.leaseMs, { partnershipIds: [id] })
      const startNow = got.slice(0, Math.max(0, free))
      for (const row of startNow) limits.acquire(row.partnershipId)
      rows.push(...startNow)
      const rest = got.slice(startNow.length).map((row) => ({ row, claimedAt: now.getTime() }))
      if (rest.length > 0) waiting.set(id, [...(waiting.get(id) ?? []), ...rest])
      if (got.length >= want) hungry.add(id)
      else hungry.delete(id)
    }
    for (const id of hungry) if (blocked.includes(id) || !constrained.includes(id)) hungry.delete(id)
    bulkFull = rows.length < limit && await take(limit - rows.length, { excludePartnershipIds: [...blocked, ...constrained] })
    return rows
  }

  /** One claim into the free slots; resolves to the number of rows started. */
  const fill = async (): Promise<number> => {
    const limit = Math.min(deps.batchSize, concurrency - attempts.size - waitingCount())
    if (stopped || limit <= 0) return 0
    const rows = await claim(limit, true)
    // each attempt records its own outcome; the pump only starts them
    for (const row of rows) attemptOne(row).catch(() => undefined)
    return rows.length
  }

  const pump = (): void => {
    if (stopped || claiming !== undefined) return
    cancelTimer?.()
    cancelTimer = undefined
    claiming = fill()
    refillWanted = false
    claiming.then(
      (claimed) => {
        claiming = undefined
        if (stopped) return
        if ((claimed > 0 || refillWanted) && backlog() && attempts.size < concurrency) {
          pump()
          return
        }
        // a finishing attempt refills (refill); the poll is the fallback
        schedule(deps.pollIntervalMs)
      },
      (err: unknown) => {
        claiming = undefined
        logger.error(failureFields('poll-failed', err), 'delivery poll failed')
        schedule(deps.pollIntervalMs)
      })
  }

  /**
   * After an attempt ends: with a backlog, claim again once enough slots are free to make a
   * claim worth it, or at once when the attempt freed a slot of a partnership with rows waiting
   * for one (a degraded partner on a small adaptive limit must not wait for the next poll).
   */
  const refill = (partnershipId: string): void => {
    if (!started || stopped || !backlog()) return
    if (claiming !== undefined) {
      refillWanted = true
      return
    }
    const free = concurrency - attempts.size
    if (hungry.has(partnershipId) || free >= Math.max(1, Math.floor(Math.min(deps.batchSize, concurrency) / 2)) || attempts.size === 0) pump()
  }

  const schedule = (delayMs: number): void => {
    if (stopped) return
    cancelTimer?.()
    // the worker alone must not keep the process alive; the server's lifecycle owns that
    cancelTimer = scheduler.after(delayMs, () => {
      cancelTimer = undefined
      pump()
    })
  }

  return {
    start () {
      if (started || stopped) return
      started = true
      store.listCircuits().then(
        (records) => { breakers.restore(records) },
        (err: unknown) => { logger.error(failureFields('circuit-not-read', err), 'circuit state could not be read') }
      ).finally(() => { pump() })
    },

    async stop () {
      stopped = true
      cancelTimer?.()
      cancelTimer = undefined
      await claiming?.catch(() => undefined)
      // rows still waiting for a slot go back, due now, for whichever worker comes next
      for (const id of [...waiting.keys()]) startWaiting(id)
      await Promise.allSettled([...attempts])
      await settler.drain()
      await client.close()
    },

    async runOnce () {
      if (stopped) return 0
      const rows = await claim(deps.batchSize)
      await Promise.all(rows.map(attemptOne))
      return rows.length
    },

    breakers,
    limits
  }
}
