import type { AuditRecord } from './audit-store.ts'

/**
 * The delivery outbox (docs/decisions/outbox-delivery.md): rows are written with the referral
 * or Task version they deliver (ResourceStore), then claimed under a lease, attempted, and
 * settled by the delivery worker; operators list and replay them.
 */
export interface OutboxStore {
  /**
   * Claims up to `limit` due pending rows, leasing them until now + leaseMs; with a filter,
   * only some partnerships' rows or all but some (the worker skips partnerships whose
   * circuit is open and claims one probe for a half-open one).
   */
  claimDueDeliveries(now: Date, limit: number, leaseMs: number, filter?: ClaimFilter): Promise<OutboxRow[]>
  /**
   * Records many attempt outcomes in ONE transaction (one commit, one fsync). An outcome for
   * a row that is no longer pending (a late report) changes nothing; it never throws for
   * that, so one stale row cannot roll back the others. `audit` (one record per attempt) is
   * written in the same transaction: a separate durable commit per attempt would halve delivery
   * throughput.
   */
  settleDeliveries(settlements: DeliverySettlement[], now: Date, audit?: AuditRecord[]): Promise<void>
  listDeliveries(filter: DeliveryFilter): Promise<OutboxRow[]>
  /** A dead letter goes back to pending, due now, with its attempts reset to 0. */
  replayDelivery(id: string, now: Date): Promise<ReplayResult>
  /** Outbox backlog for operators (metrics): counts by status and the oldest pending row. */
  outboxStats(): Promise<OutboxStats>
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead-letter'

/**
 * What an outbox row delivers: a referral (or its cancellation) mapped for its partnership,
 * or a BaRS response message to the referrer (bars/outcome-messages.ts).
 */
export type OutboxKind = 'referral' | 'bars-response'

export interface NewOutboxRow {
  id: string
  /** the destination: a partnership id, or for a BaRS response "bars:{endpoint}" */
  partnershipId: string
  serviceRequestId: string
  taskId: string
  createdAt: string
  /** absent: 'referral' */
  kind?: OutboxKind
  /**
   * what the row delivers when it is fixed at write time rather than read at send time: for a
   * BaRS response, the Task version committed with the row (JSON), so two quick moves send two
   * distinct messages and a retry sends the same one
   */
  payload?: string
}

export interface OutboxRow extends NewOutboxRow {
  status: DeliveryStatus
  attempts: number
  nextAttemptAt: string
  leaseUntil?: string
  lastError?: string
  lastResponseStatus?: number
  updatedAt: string
}

export interface OutboxStats {
  pending: number
  deadLetter: number
  /** createdAt of the oldest pending row; absent when nothing is pending */
  oldestPendingCreatedAt?: string
}

export interface DeliveryFilter {
  partnershipId?: string
  /** the rows of one referral (e.g. was it ever queued for its partnership?) */
  serviceRequestId?: string
  status?: DeliveryStatus
  limit: number
}

/** Which partnerships a claim may take rows of. */
export interface ClaimFilter {
  /** only these partnerships (absent: all) */
  partnershipIds?: string[]
  /** never these partnerships */
  excludePartnershipIds?: string[]
}

/** The outcome of one delivery attempt, as settleDeliveries records it. */
export type DeliverySettlement =
  /** responseStatus: the partner's HTTP status; absent for a daily file drop (no HTTP) */
  | { id: string, outcome: 'delivered', responseStatus?: number }
  | { id: string, outcome: 'retry', nextAttemptAt: Date, error: string, responseStatus?: number }
  | { id: string, outcome: 'dead-letter', error: string, responseStatus?: number }
  /** not attempted (its partnership's circuit opened meanwhile): released, attempts unchanged */
  | { id: string, outcome: 'deferred', nextAttemptAt: Date }

export type ReplayResult =
  | { kind: 'replayed', row: OutboxRow }
  | { kind: 'not-found' }
  /** only a dead letter can be replayed; the row is returned as it is */
  | { kind: 'not-dead-letter', row: OutboxRow }
