import type { Dispatcher } from 'undici'
import type { Clock } from '../clock.ts'
import { timeOrderedIds } from '../time-ordered-id.ts'
import type { Mapping } from '../mapping/mapping.ts'
import type { Partnership } from '../routing/partnership.ts'
import { BARS_RESPONSE_KIND, BARS_RESPONSE_MAX_ATTEMPTS, deliverBarsResponse, type BarsResponseDeps } from '../bars/outcome-messages.ts'
import type { EndpointCatalogue } from '../bars/endpoint-catalogue.ts'
import type { DeliverySettlement, OutboxRow, Store } from '../store/store.ts'
import { DEFAULT_BACKOFF } from './backoff.ts'
import type { BackoffPolicy } from './backoff.ts'
import { createCircuitBreakers } from './circuit-breaker.ts'
import type { CircuitBreakers } from './circuit-breaker.ts'
import { deliverRow } from './deliver-row.ts'
import type { DeliveryLogger } from './delivery-logger.ts'
import { createFileDrop } from './file-drop.ts'
import { createPartnerClient } from './partner-client.ts'
import { createSettler } from './settler.ts'
import { createSigner } from './signature.ts'
import { deliveryAudit } from '../audit/delivery-audit.ts'

/** Everything the delivery worker needs, passed in. */
export interface DeliveryWorkerDeps {
  store: Store
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
  /** circuit breaker (default: 5 failures, 30 s open) */
  breaker?: { failureThreshold: number, openMs: number }
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
  const breakerPolicy = deps.breaker ?? { failureThreshold: 5, openMs: 30_000 }
  const breakers = createCircuitBreakers(
    { ...breakerPolicy, maxOpenMs: Math.max(breakerPolicy.openMs, backoff.capMs) },
    (record) => {
      const log = record.state === 'closed' ? logger.info : logger.warn
      log({ partnershipId: record.partnershipId, circuit: record.state, consecutiveFailures: record.consecutiveFailures, openUntil: record.openUntil }, `circuit ${record.state}`)
      store.saveCircuit(record).catch((err: unknown) => {
        logger.error({ partnershipId: record.partnershipId, error: errorName(err) }, 'circuit state could not be recorded')
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
    random: deps.random ?? Math.random
  }
  const attempts = new Set<Promise<void>>()
  let claiming: Promise<number> | undefined
  let stopped = false
  let started = false
  /** the last claim filled its limit: more rows are probably due */
  let backlog = false
  let timer: NodeJS.Timeout | undefined

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

  const attemptOne = (row: OutboxRow): Promise<void> => {
    const run = (async () => {
      try {
        const settlement = await deliver(row)
        // every delivery attempt leaves an AuditEvent (docs/decisions/outbox-delivery.md), committed with its outcome in
        // the settler's group commit; a deferred row was not attempted and leaves none
        await settler.record(settlement, deliveryAudit(newId(), clock.now(), row, settlement))
      } catch (err) {
        // a store failure: the lease runs out and the row is tried again; only the error's
        // class is logged because driver messages can quote the values they failed on
        logger.error({ outboxId: row.id, partnershipId: row.partnershipId, error: errorName(err) }, 'delivery attempt could not be recorded')
      }
    })()
    attempts.add(run)
    // run never rejects (errors are logged above), so nothing is left unhandled
    run.then(() => {
      attempts.delete(run)
      refill()
    }, () => undefined)
    return run
  }

  /** Claims up to limit rows: one probe per half-open partnership, then the rest from closed ones. */
  const claim = async (limit: number): Promise<OutboxRow[]> => {
    const now = clock.now()
    const rows: OutboxRow[] = []
    for (const id of breakers.probeDue(now)) {
      if (rows.length >= limit) break
      rows.push(...await store.claimDueDeliveriesFor(now, 1, deps.leaseMs, { partnershipIds: [id] }))
    }
    if (rows.length < limit) {
      rows.push(...await store.claimDueDeliveriesFor(now, limit - rows.length, deps.leaseMs, { excludePartnershipIds: breakers.blocked(now) }))
    }
    return rows
  }

  /** One claim into the free slots; resolves to the number of rows started. */
  const fill = async (): Promise<number> => {
    const limit = Math.min(deps.batchSize, concurrency - attempts.size)
    if (stopped || limit <= 0) return 0
    const rows = await claim(limit)
    backlog = rows.length >= limit
    // each attempt records its own outcome; the pump only starts them
    for (const row of rows) attemptOne(row).catch(() => undefined)
    return rows.length
  }

  const pump = (): void => {
    if (stopped || claiming !== undefined) return
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    claiming = fill()
    claiming.then(
      () => {
        claiming = undefined
        if (stopped) return
        if (backlog && attempts.size < concurrency) pump()
        else if (!backlog) schedule(deps.pollIntervalMs)
        // else: a finishing attempt refills (refill)
      },
      (err: unknown) => {
        claiming = undefined
        logger.error({ error: errorName(err) }, 'delivery poll failed')
        schedule(deps.pollIntervalMs)
      })
  }

  /** After an attempt ends: with a backlog, claim again once enough slots are free to make a claim worth it. */
  const refill = (): void => {
    if (!started || stopped || !backlog || claiming !== undefined) return
    const free = concurrency - attempts.size
    if (free >= Math.max(1, Math.floor(Math.min(deps.batchSize, concurrency) / 2)) || attempts.size === 0) pump()
  }

  const schedule = (delayMs: number): void => {
    if (stopped) return
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = undefined
      pump()
    }, delayMs)
    // the worker alone must not keep the process alive; the server's lifecycle owns that
    timer.unref()
  }

  return {
    start () {
      if (started || stopped) return
      started = true
      store.listCircuits().then(
        (records) => { breakers.restore(records) },
        (err: unknown) => { logger.error({ error: errorName(err) }, 'circuit state could not be read') }
      ).finally(() => { pump() })
    },

    async stop () {
      stopped = true
      if (timer !== undefined) {
        clearTimeout(timer)
        timer = undefined
      }
      await claiming?.catch(() => undefined)
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

    breakers
  }
}

function errorName (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code
    return typeof code === 'string' ? `${err.name} (${code})` : err.name
  }
  return typeof err
}
