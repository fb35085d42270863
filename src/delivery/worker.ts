import type { Dispatcher } from 'undici'
import type { Clock } from '../clock.ts'
import type { Mapping } from '../mapping/mapping.ts'
import type { Partnership } from '../routing/partnership.ts'
import type { Store } from '../store/store.ts'
import { deliverRow } from './deliver-row.ts'
import type { DeliveryLogger } from './deliver-row.ts'
import { createPartnerClient } from './partner-client.ts'

/** Everything the delivery worker needs, passed in. */
export interface DeliveryWorkerDeps {
  store: Store
  partnerships: Map<string, Partnership>
  mappings: Map<string, Mapping>
  clock: Clock
  logger: DeliveryLogger
  /** wait between polls when the last batch was not full */
  pollIntervalMs: number
  /** rows claimed per run, and sockets per partnership origin */
  batchSize: number
  /** how long a claimed row stays ours; must outlast a request */
  leaseMs: number
  /** per-request limit (connect, headers, body, and overall) */
  requestTimeoutMs: number
  /** used instead of the per-origin Pools (tests); the caller closes it */
  dispatcher?: Dispatcher
  /** uniform in [0, 1) for backoff jitter; Math.random when absent */
  random?: () => number
}

/** The outbox worker's lifecycle. */
export interface DeliveryWorker {
  /** Polls until stop(): runs at once, then pollIntervalMs after each run ends (never overlapping). */
  start: () => void
  /** Stops polling, waits for the runs in flight, then closes the HTTP pools. */
  stop: () => Promise<void>
  /** Claims one batch of due rows and makes one attempt at each; resolves to the number claimed. */
  runOnce: () => Promise<number>
}

/**
 * Creates the delivery worker: it claims due outbox rows, maps each referral and POSTs it to
 * its partnership, recording delivered / retry / dead letter (see deliver-row.ts). Delivery is
 * at-least-once: a crash between the POST and the store write means a second POST with the
 * same Idempotency-Key once the lease runs out.
 * @param deps - store, configuration, clock, logger and optional dispatcher
 */
export function createDeliveryWorker (deps: DeliveryWorkerDeps): DeliveryWorker {
  if (deps.leaseMs <= deps.requestTimeoutMs) {
    // a lease that ends mid-request lets another worker send the same row in parallel
    throw new Error('delivery worker: leaseMs must be greater than requestTimeoutMs')
  }
  const { store, clock, logger } = deps
  const client = createPartnerClient({
    requestTimeoutMs: deps.requestTimeoutMs,
    connections: deps.batchSize,
    dispatcher: deps.dispatcher
  })
  const rowDeps = {
    store,
    partnerships: deps.partnerships,
    mappings: deps.mappings,
    clock,
    logger,
    client,
    random: deps.random ?? Math.random
  }
  const inFlight = new Set<Promise<number>>()
  let stopped = false
  let started = false
  let timer: NodeJS.Timeout | undefined

  const runBatch = async (): Promise<number> => {
    const rows = await store.claimDueDeliveries(clock.now(), deps.batchSize, deps.leaseMs)
    await Promise.all(rows.map(async (row) => {
      try {
        await deliverRow(row, rowDeps)
      } catch (err) {
        // a store failure: the lease runs out and the row is tried again; only the error's
        // class is logged because driver messages can quote the values they failed on
        logger.error({ outboxId: row.id, partnershipId: row.partnershipId, error: errorName(err) }, 'delivery attempt could not be recorded')
      }
    }))
    return rows.length
  }

  const runOnce = async (): Promise<number> => {
    if (stopped) {
      return 0
    }
    const run = runBatch()
    inFlight.add(run)
    try {
      return await run
    } finally {
      inFlight.delete(run)
    }
  }

  const schedule = (delayMs: number): void => {
    timer = setTimeout(() => {
      timer = undefined
      runOnce().then(
        // a full batch suggests a backlog: go again at once rather than wait
        (claimed) => { if (!stopped) schedule(claimed >= deps.batchSize ? 0 : deps.pollIntervalMs) },
        (err: unknown) => {
          logger.error({ error: errorName(err) }, 'delivery poll failed')
          if (!stopped) schedule(deps.pollIntervalMs)
        }
      )
    }, delayMs)
    // the worker alone must not keep the process alive; the server's lifecycle owns that
    timer.unref()
  }

  return {
    start () {
      if (started || stopped) {
        return
      }
      started = true
      schedule(0)
    },

    async stop () {
      stopped = true
      if (timer !== undefined) {
        clearTimeout(timer)
        timer = undefined
      }
      await Promise.allSettled([...inFlight])
      await client.close()
    },

    runOnce
  }
}

function errorName (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code
    return typeof code === 'string' ? `${err.name} (${code})` : err.name
  }
  return typeof err
}
