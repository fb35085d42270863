import { pino } from 'pino'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import { loadMappings } from '../mapping/load-mapping.ts'
import { loadPartnerships } from '../routing/load-partnerships.ts'
import { openStore } from '../store/open-store.ts'
import type { DeliveryFilter, Store } from '../store/store.ts'
import { circuitView, deliveryView, DELIVERY_STATUSES, isDeliveryStatus } from './delivery-view.ts'
import { createConfiguredWorker } from './from-config.ts'
import { pruneOnce } from '../retention/prune.ts'

type Out = (line: string) => void

/** What the delivery commands are given by the CLI. */
export interface DeliveryCommandDeps {
  config: Config
  out: Out
  err: Out
  clock: Clock
  /** aborts `worker` (the CLI wires SIGINT/SIGTERM to it) */
  signal: AbortSignal
}

/** The delivery commands and their usage lines. */
export const DELIVERY_USAGE = `  worker                     run only the delivery worker (no HTTP server) until SIGINT/SIGTERM
  deliveries [--partnership ID] [--status pending|delivered|dead-letter] [--count N]
                             list the newest deliveries and the partnerships' circuit breakers
  replay ID                  send a dead letter again (back to pending, attempts reset)
  prune [--dry-run]          delete delivered outbox rows and audit records past their retention
                             periods (never pending or dead-letter rows); --dry-run only counts`

/**
 * Runs `worker`, `deliveries`, `replay` or `prune` against the gateway's store (DATABASE_URL, or the
 * SQLite file in WORKWELL_DATA_DIR).
 * @param command - the command name
 * @param args - its arguments
 * @param deps - configuration, output writers, clock and the stop signal
 * @returns the exit code
 */
export async function runDeliveryCommand (command: 'worker' | 'deliveries' | 'replay' | 'prune', args: string[], deps: DeliveryCommandDeps): Promise<number> {
  switch (command) {
    case 'worker':
      return runWorker(deps)
    case 'deliveries':
      return withStore(deps.config, async (store) => listDeliveries(store, args, deps))
    case 'replay':
      return withStore(deps.config, async (store) => replay(store, args, deps))
    case 'prune':
      return prune(args, deps)
  }
}

/** The store the server uses: PostgreSQL when DATABASE_URL is set, else SQLite in the data folder. */
async function withStore (config: Config, fn: (store: Store) => Promise<number>): Promise<number> {
  const store = await openStore(config)
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

async function runWorker (deps: DeliveryCommandDeps): Promise<number> {
  const { config } = deps
  const partnerships = await loadPartnerships(config.mappingsDir, config.partnerUrls)
  const mappings = await loadMappings(config.mappingsDir, partnerships.keys())
  const logger = pino({ level: config.logLevel }).child({ component: 'delivery' })
  return withStore(config, async (store) => {
    const worker = createConfiguredWorker({ config, store, partnerships, mappings, clock: deps.clock, logger })
    worker.start()
    logger.info({ store: config.databaseUrl === undefined ? 'sqlite' : 'postgresql', dataDir: config.dataDir, partnerships: partnerships.size }, 'delivery worker started')
    // the worker's timer is unref'd, so this interval is what keeps the process up until asked to stop
    const keepAlive = setInterval(() => undefined, 60_000)
    try {
      await new Promise<void>((resolve) => {
        if (deps.signal.aborted) resolve()
        deps.signal.addEventListener('abort', () => { resolve() }, { once: true })
      })
    } finally {
      clearInterval(keepAlive)
    }
    await worker.stop()
    logger.info('delivery worker stopped')
    return 0
  })
}

async function listDeliveries (store: Pick<Store, 'listDeliveries' | 'listCircuits'>, args: string[], deps: DeliveryCommandDeps): Promise<number> {
  const filter: DeliveryFilter = { limit: 100 }
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]]
    if (value === undefined) { deps.err(`${flag ?? ''} needs a value`); return 2 }
    if (flag === '--partnership') {
      filter.partnershipId = value
    } else if (flag === '--status' && isDeliveryStatus(value)) {
      filter.status = value
    } else if (flag === '--status') {
      deps.err(`--status must be one of ${DELIVERY_STATUSES.join(', ')}`)
      return 2
    } else if (flag === '--count' && /^\d+$/.test(value)) {
      filter.limit = Number(value)
    } else {
      deps.err(`unknown option ${flag ?? ''} ${value}`)
      return 2
    }
  }
  const now = deps.clock.now()
  for (const c of (await store.listCircuits()).map((r) => circuitView(r, now))) {
    if (filter.partnershipId !== undefined && c.partnershipId !== filter.partnershipId) continue
    deps.out(`circuit\t${c.partnershipId}\t${c.state}\tfailures=${c.consecutiveFailures}${c.openUntil === undefined ? '' : `\topenUntil=${c.openUntil}`}`)
  }
  for (const d of (await store.listDeliveries(filter)).map(deliveryView)) {
    deps.out([d.id, d.partnership, d.status, `attempts=${d.attempts}`, d.serviceRequest, d.updatedAt, d.lastError ?? ''].join('\t').trimEnd())
  }
  return 0
}

async function replay (store: Pick<Store, 'replayDelivery'>, args: string[], deps: DeliveryCommandDeps): Promise<number> {
  const id = args[0]
  if (id === undefined || args.length !== 1) { deps.err('usage: workwell replay ID'); return 2 }
  const result = await store.replayDelivery(id, deps.clock.now())
  switch (result.kind) {
    case 'not-found':
      deps.err(`no delivery ${id}`)
      return 1
    case 'not-dead-letter':
      deps.err(`delivery ${id} is ${result.row.status}; only a dead letter can be replayed`)
      return 1
    case 'replayed':
      deps.out(`${id}\treplayed: pending, attempts reset`)
      return 0
  }
}

async function prune (args: string[], deps: DeliveryCommandDeps): Promise<number> {
  const unknown = args.filter((a) => a !== '--dry-run')
  if (unknown.length > 0) { deps.err(`usage: workwell prune [--dry-run] (unknown: ${unknown.join(' ')})`); return 2 }
  const dryRun = args.includes('--dry-run')
  return withStore(deps.config, async (store) => {
    const r = await pruneOnce(store, deps.clock.now(), deps.config.retention, dryRun)
    const verb = dryRun ? 'would delete' : 'deleted'
    deps.out(`${verb} ${r.deliveredRows} delivered outbox row(s) settled before ${r.cutoffs.deliveredBefore.toISOString()}`)
    deps.out(`${verb} ${r.auditRecords} audit record(s) recorded before ${r.cutoffs.auditBefore.toISOString()}`)
    return 0
  })
}
