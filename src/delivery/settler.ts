import type { Clock } from '../clock.ts'
import type { AuditRecord } from '../store/audit-store.ts'
import type { DeliverySettlement, OutboxStore } from '../store/outbox-store.ts'

/** Collects attempt outcomes and writes them to the store in batches. */
export interface Settler {
  /**
   * Resolves once the outcome (and its audit record, in the same transaction) is committed;
   * rejects if its batch could not be written.
   */
  record: (settlement: DeliverySettlement, audit?: AuditRecord) => Promise<void>
  /** Resolves when everything recorded so far is written (or has failed). */
  drain: () => Promise<void>
}

interface Waiting {
  settlement: DeliverySettlement
  audit: AuditRecord | undefined
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Group commit for outcomes: everything recorded in the same turn of the event loop (or within
 * lingerMs of the first), and while a write is running, goes to the store in ONE transaction.
 * With synchronous=FULL each commit is an fsync — about 3 ms on this project's virtual disk,
 * during which node:sqlite's synchronous API holds the event loop — so one commit per outcome
 * would cap throughput at the disk's flush rate, and even one per turn spends much of each
 * second blocked. A crash before the write only means the row is sent again, with the same
 * Idempotency-Key, once its lease runs out; lingering a few milliseconds widens that window
 * by as much.
 * @param store - where outcomes go (settleDeliveries)
 * @param clock - stamps updatedAt
 * @param maxBatch - the most outcomes in one transaction (a full batch is written at once)
 * @param lingerMs - how long the first outcome of a batch waits for others (0: the same turn only)
 */
export function createSettler (store: Pick<OutboxStore, 'settleDeliveries'>, clock: Clock, maxBatch = 1_000, lingerMs = 0): Settler {
  let queue: Waiting[] = []
  let writing: Promise<void> | undefined
  let scheduled = false

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
      try {
        const audit = batch.flatMap((w) => w.audit === undefined ? [] : [w.audit])
        await store.settleDeliveries(batch.map((w) => w.settlement), clock.now(), audit)
        for (const w of batch) w.resolve()
      } catch (err) {
        for (const w of batch) w.reject(err)
      }
    }
  }

  let timer: NodeJS.Timeout | undefined

  const write = (): void => {
    scheduled = false
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    writing = flush().finally(() => {
      writing = undefined
      if (queue.length > 0) kick()
    })
  }

  const kick = (): void => {
    if (writing !== undefined) return
    if (scheduled) {
      // a full batch need not wait out the linger
      if (timer !== undefined && queue.length >= maxBatch) {
        clearTimeout(timer)
        timer = undefined
        setImmediate(write)
      }
      return
    }
    scheduled = true
    // setImmediate lets every attempt that finished in this turn join the same batch
    if (lingerMs > 0 && queue.length < maxBatch) {
      timer = setTimeout(write, lingerMs)
      // what keeps the process up is the server's business, not a pending batch
      timer.unref()
    } else {
      setImmediate(write)
    }
  }

  return {
    async record (settlement, audit) {
      const done = new Promise<void>((resolve, reject) => { queue.push({ settlement, audit, resolve, reject }) })
      kick()
      return done
    },

    async drain () {
      // stopping: a lingering batch is written now
      if (timer !== undefined) write()
      const busy = (): boolean => queue.length > 0 || writing !== undefined || scheduled
      while (busy()) {
        await (writing ?? new Promise<void>((resolve) => { setImmediate(resolve) }))
      }
    }
  }
}
