import type { AuditStore } from './audit-store.ts'
import type { CircuitStore } from './circuit-store.ts'
import type { DuplicateIndex } from './duplicate-index.ts'
import type { OutboxStore } from './outbox-store.ts'
import type { RequestIdStore } from './request-id-store.ts'
import type { ResourceStore } from './resource-store.ts'
import type { RetentionStore } from './retention-store.ts'

export type * from './audit-store.ts'
export type * from './circuit-store.ts'
export type * from './duplicate-index.ts'
export type * from './outbox-store.ts'
export type * from './request-id-store.ts'
export type * from './resource-store.ts'
export type * from './retention-store.ts'

/** Opening is each backend's own function; readiness and closing are common to all. */
export interface StoreLifecycle {
  /**
   * Readiness: true when the store answers queries and its schema is the version this
   * gateway expects (no migration pending, e.g. while another instance upgrades it).
   */
  ping(): Promise<boolean>
  close(): Promise<void>
}

/**
 * The whole storage contract, split by job (docs/decisions/store-by-job.md): a caller takes
 * the narrow part it uses (the delivery worker the outbox and circuits, the audit routes the
 * audit trail, intake the duplicate index). SQLite (embedded default, sqlite-store.ts, on a writer thread in
 * threaded-sqlite-store.ts) and PostgreSQL (DATABASE_URL, pg-store.ts) implement all of it
 * and run the same contract tests, one per part (test/unit/store/contract/).
 *
 * Every method is async so that a networked store fits behind it unchanged.
 */
export type Store = ResourceStore & DuplicateIndex & OutboxStore & AuditStore & RequestIdStore & CircuitStore & RetentionStore & StoreLifecycle
