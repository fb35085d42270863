import type { Clock } from '../clock.ts'
import type { AuditRecord } from '../store/audit-store.ts'
import type { DeliverySettlement, OutboxStore } from '../store/outbox-store.ts'
import { createGroupCommit } from '../store/group-commit.ts'

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

/**
 * Group commit for outcomes (group-commit.ts): everything recorded in the same turn of the event loop (or within
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
  const group = createGroupCommit<{ settlement: DeliverySettlement, audit: AuditRecord | undefined }>({
    commit: async (batch) => {
      const audit = batch.flatMap((w) => w.audit === undefined ? [] : [w.audit])
      await store.settleDeliveries(batch.map((w) => w.settlement), clock.now(), audit)
    },
    maxGroup: maxBatch,
    lingerMs
  })
  return {
    record: async (settlement, audit) => group.add({ settlement, audit }),
    drain: async () => group.drain()
  }
}
