import type { Clock } from '../clock.ts'
import type { DeliverySettlement, Store } from '../store/store.ts'

/** Collects attempt outcomes and writes them to the store in batches. */
export interface Settler {
  /** Resolves once the outcome is committed; rejects if its batch could not be written. */
  record: (settlement: DeliverySettlement) => Promise<void>
  /** Resolves when everything recorded so far is written (or has failed). */
  drain: () => Promise<void>
}

interface Waiting {
  settlement: DeliverySettlement
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Group commit for outcomes: everything recorded in the same turn of the event loop, and while
 * a write is running, goes to the store in ONE transaction. With synchronous=FULL each commit
 * is an fsync, so one commit per outcome would cap throughput at the disk's flush rate. A
 * crash before the write only means the row is sent again, with the same Idempotency-Key,
 * once its lease runs out.
 * @param store - where outcomes go (settleDeliveries)
 * @param clock - stamps updatedAt
 * @param maxBatch - the most outcomes in one transaction
 */
export function createSettler (store: Store, clock: Clock, maxBatch = 1_000): Settler {
  let queue: Waiting[] = []
  let writing: Promise<void> | undefined
  let scheduled = false

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
      try {
        await store.settleDeliveries(batch.map((w) => w.settlement), clock.now())
        for (const w of batch) w.resolve()
      } catch (err) {
        for (const w of batch) w.reject(err)
      }
    }
  }

  const kick = (): void => {
    if (scheduled || writing !== undefined) return
    scheduled = true
    // setImmediate lets every attempt that finished in this turn join the same batch
    setImmediate(() => {
      scheduled = false
      writing = flush().finally(() => {
        writing = undefined
        if (queue.length > 0) kick()
      })
    })
  }

  return {
    async record (settlement) {
      const done = new Promise<void>((resolve, reject) => { queue.push({ settlement, resolve, reject }) })
      kick()
      return done
    },

    async drain () {
      const busy = (): boolean => queue.length > 0 || writing !== undefined || scheduled
      while (busy()) {
        await (writing ?? new Promise<void>((resolve) => { setImmediate(resolve) }))
      }
    }
  }
}
