import type { Clock } from '../clock.ts'
import type { DeliveryLogger } from '../delivery/delivery-logger.ts'
import { failureFields } from '../delivery/failure-log.ts'
import type { Scheduler } from '../scheduler.ts'
import type { Store } from '../store/store.ts'
import { pruneOnce, type RetentionPeriods } from './prune.ts'

/** The server's scheduled prune. */
export interface PruneSchedule {
  /** Prunes once now (unless the interval is 0), then every interval. */
  start: () => void
  /** Stops the schedule and waits for a prune in progress. */
  stop: () => Promise<void>
}

/**
 * Runs the prune every `pruneIntervalMs` (0: never) and logs what it deleted: counts and
 * cutoffs only. Several instances pruning at once is harmless: each deletes what is still
 * there, in small batches.
 */
export function createPruneSchedule (deps: { store: Pick<Store, 'prune'>, clock: Clock, scheduler: Scheduler, logger: DeliveryLogger, retention: RetentionPeriods & { pruneIntervalMs: number } }): PruneSchedule {
  let cancel: (() => void) | undefined
  let running: Promise<void> | undefined
  let stopped = false
  const interval = deps.retention.pruneIntervalMs

  const run = (): void => {
    if (stopped) return
    running = pruneOnce(deps.store, deps.clock.now(), deps.retention).then(
      (r) => {
        deps.logger.info({ deliveredRows: r.deliveredRows, auditRecords: r.auditRecords, deliveredBefore: r.cutoffs.deliveredBefore.toISOString(), auditBefore: r.cutoffs.auditBefore.toISOString() }, 'pruned')
      },
      (err: unknown) => { deps.logger.error(failureFields('prune-failed', err), 'prune failed') }
    ).finally(() => {
      running = undefined
      if (!stopped) cancel = deps.scheduler.after(interval, run)
    })
  }

  return {
    start () {
      if (interval === 0 || stopped) return
      run()
    },
    async stop () {
      stopped = true
      cancel?.()
      cancel = undefined
      await running
    }
  }
}
