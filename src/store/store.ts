import type { Resource } from '@medplum/fhirtypes'
import type { AuditQuery } from '../audit/audit-event.ts'

/**
 * The one storage contract. SQLite (embedded default, sqlite-store.ts) and PostgreSQL
 * (DATABASE_URL, pg-store.ts) implement it and run the same contract tests
 * (test/unit/store/store-contract.ts).
 *
 * Every method is async so that a networked store fits behind it unchanged.
 */
export interface Store extends DuplicateIndex {
  // ---------------------------------------------------------------- idempotency (X-Request-Id)

  /**
   * Claims an X-Request-Id before any work is done. A claim older than `staleAfterMs` that
   * never completed (its process died) is taken over.
   */
  claimRequestId(requestId: string, now: Date, staleAfterMs: number): Promise<RequestIdClaim>
  /** Frees a claim whose request failed, so the client may retry with the same id. */
  releaseRequestId(requestId: string): Promise<void>

  // ---------------------------------------------------------------- writes

  /**
   * Stores a whole accepted referral in ONE transaction: every resource, the Task, the outbox
   * row (if any), the audit events, and the request-id completion. Any failure rolls all of it
   * back and rethrows; nothing is half-stored.
   */
  saveReferral(write: ReferralWrite): Promise<void>

  appendAudit(event: AuditRecord): Promise<void>
  /** The audit trail, newest first, by exact entity and/or a part of the agent (GET /admin/AuditEvent). */
  searchAudit(query: AuditQuery): Promise<AuditRecord[]>

  /**
   * Writes a new version of a Task in ONE transaction, only if the stored version is still
   * `expectedVersionId` (optimistic locking: the check and the write are one conditional
   * UPDATE, so of two updates from the same version exactly one wins). The Task's search
   * row (status, lastUpdated), the audit records, and when given the outbox row, the other
   * resources (each version-checked the same way) and the request-id completion are written
   * in the same transaction: all of it or none.
   */
  updateTask(write: TaskVersionWrite): Promise<TaskVersionResult>

  // ---------------------------------------------------------------- reads

  /**
   * One resource. With `scope`, only when the caller may see it: the scope is part of the
   * query, so a resource outside it reads exactly as an unknown id does. Without a scope the
   * read is the gateway's own (delivery, BaRS responses), never a caller's.
   */
  readResource(resourceType: string, id: string, scope?: AccessScope): Promise<StoredResource | undefined>
  /** Tasks matching the query; with `query.scope`, only those the caller may see, counted and paged in the query. */
  searchTasks(query: TaskQuery): Promise<TaskSearchResult>

  // ---------------------------------------------------------------- delivery outbox

  /** Claims up to `limit` due pending rows, leasing them until now + leaseMs. */
  claimDueDeliveries(now: Date, limit: number, leaseMs: number): Promise<OutboxRow[]>
  markDelivered(id: string, now: Date, responseStatus: number): Promise<void>
  scheduleRetry(id: string, nextAttemptAt: Date, error: string, now: Date): Promise<void>
  markDeadLetter(id: string, error: string, now: Date): Promise<void>
  listDeliveries(filter: DeliveryFilter): Promise<OutboxRow[]>
  /**
   * Claims like claimDueDeliveries, restricted to some partnerships or leaving some out
   * (the worker skips partnerships whose circuit is open and claims one probe for a
   * half-open one).
   */
  claimDueDeliveriesFor(now: Date, limit: number, leaseMs: number, filter: ClaimFilter): Promise<OutboxRow[]>
  /**
   * Records many attempt outcomes in ONE transaction (one commit, one fsync). An outcome for
   * a row that is no longer pending (a late report) changes nothing; it never throws for
   * that, so one stale row cannot roll back the others. `audit` (one record per attempt) is
   * written in the same transaction: a separate durable commit per attempt would halve delivery
   * throughput.
   */
  settleDeliveries(settlements: DeliverySettlement[], now: Date, audit?: AuditRecord[]): Promise<void>
  readDelivery(id: string): Promise<OutboxRow | undefined>
  /** A dead letter goes back to pending, due now, with its attempts reset to 0. */
  replayDelivery(id: string, now: Date): Promise<ReplayResult>
  /** Outbox backlog for operators (metrics): counts by status and the oldest pending row. */
  outboxStats(): Promise<OutboxStats>
  /** Upserts a partnership's circuit-breaker state, so operators (and other processes) can see it. */
  saveCircuit(circuit: CircuitRecord): Promise<void>
  listCircuits(): Promise<CircuitRecord[]>
  /**
   * Retention: deletes delivered outbox rows settled before `deliveredBefore` and audit
   * records recorded before `auditBefore`, in small batches (other writers get the lock
   * between them). Pending and dead-letter rows are never touched. With dryRun, counts only.
   * Task versions are not kept (an update rewrites the Task), so there are none to prune.
   */
  prune(cutoffs: PruneCutoffs, dryRun: boolean): Promise<PruneCounts>

  // ---------------------------------------------------------------- lifecycle

  /**
   * Readiness: true when the store answers queries and its schema is the version this
   * gateway expects (no migration pending, e.g. while another instance upgrades it).
   */
  ping(): Promise<boolean>
  close(): Promise<void>
}

/**
 * Earlier referrals of the same person, found by a keyed digest of the NHS number (never the
 * number itself), so the same person referred twice is linked rather than silently handled
 * twice (docs/decisions/duplicate-referrals.md, docs/hazard-log.md H18). The key is written
 * with the referral (ReferralWrite.patientKey).
 */
export interface DuplicateIndex {
  /**
   * The referrals stored with this patient key that were accepted at or after `since` (an
   * instant), oldest first. The gateway's own lookup, across every partnership and referrer:
   * what of it a caller may see is the intake's decision (src/intake/duplicate-referrals.ts).
   */
  referralsByPatientKey(patientKey: string, since: string): Promise<KeyedReferral[]>
}

/** A referral found by {@link DuplicateIndex.referralsByPatientKey}: its ids and whose it is. */
export interface KeyedReferral {
  serviceRequestId: string
  taskId: string
  /** the human-readable reference (WW-…), when it has one */
  reference?: string
  /** the partnership it was routed to */
  owner: string
  /** the referring practice's ODS code, when it named one */
  requesterOds?: string
  /** when it was accepted (the Task's first lastUpdated) */
  acceptedAt: string
}

export type RequestIdClaim =
  | { kind: 'claimed' }
  | { kind: 'in-flight' }
  | { kind: 'done', serviceRequestId: string, taskId: string }

/** A resource as stored: content carries meta.versionId and meta.lastUpdated. */
export interface StoredResource {
  resourceType: string
  id: string
  versionId: string
  lastUpdated: string
  resource: Resource
  /**
   * The resource as JSON text, when the writer made it already (intake does, just before it
   * saves): the store writes this text and the answer sends it, instead of serialising the
   * same resource twice. It must be JSON.stringify(resource); reads never set it.
   */
  json?: string
}

/**
 * What a caller may see, as data the store filters on: resources whose referral was made by
 * one of these ODS codes, or routed to one of these partnerships. Empty lists see nothing.
 */
export interface AccessScope {
  odsCodes: readonly string[]
  partnerships: readonly string[]
}

/**
 * Whose a stored resource is, written with it: the referral it belongs to, the ODS code of
 * the practice that made that referral, and the partnership it was routed to. Every resource
 * of a referral (ServiceRequest, Task, Patient, Observation, Condition, Consent, BaRS header)
 * carries the same scope, so access never has to be inferred from anything else.
 */
export interface ResourceScope {
  referralId: string
  /** absent only for a referral that named no ODS code (then no referrer sees it) */
  requesterOds?: string
  owner: string
}

export interface ReferralWrite {
  /** X-Request-Id to mark done in the same transaction, when the request carried one */
  requestId?: string
  /** all resources to create (ServiceRequest, Task, and for Bundles the Patient and supporting ones) */
  resources: StoredResource[]
  /** the Task's search columns */
  task: TaskIndex
  serviceRequestId: string
  /**
   * whose every resource of the write is; absent: the referral `serviceRequestId`, owned by
   * the Task's partnership, with no referrer (only that partnership sees it)
   */
  scope?: ResourceScope
  outbox?: NewOutboxRow
  audit: AuditRecord[]
  /**
   * the keyed digest of the person's NHS number (DuplicateIndex), stored with the Task id and
   * the Task's lastUpdated as the time the referral was accepted; absent without an NHS number
   */
  patientKey?: string
}

export interface TaskIndex {
  id: string
  basedOn: string // "ServiceRequest/{id}"
  owner: string // partnership id
  status: string
  lastUpdated: string
  /** the referral's human-readable reference (src/reference/), searchable as Task.identifier */
  reference?: string
}

export interface TaskQuery {
  basedOn?: string
  /** the referral reference, as the gateway writes it (WW-XXXXX-XXXXX) */
  reference?: string
  owner?: string
  status?: string
  /** comparisons on lastUpdated, e.g. { prefix: 'gt', value: '2026-01-01T00:00:00Z' } */
  lastUpdated?: Array<{ prefix: 'eq' | 'gt' | 'ge' | 'lt' | 'le', value: string }>
  /**
   * keyset paging: only Tasks after this one in the (lastUpdated, id) order of the results;
   * `total` still counts every match. A feed paged this way neither skips nor repeats Tasks
   * that change while it is read, as offsets would.
   */
  after?: { lastUpdated: string, id: string }
  count: number
  offset: number
  /** the caller's scope: only its Tasks are matched, counted and paged */
  scope?: AccessScope
}

export interface TaskSearchResult {
  total: number
  tasks: StoredResource[]
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

/** A minimal, PHI-free audit record; rendered as a FHIR AuditEvent on the admin API. */
export interface AuditRecord {
  id: string
  recorded: string
  /** C create, R read, U update, E execute (search, triage, delivery) — AuditEvent.action */
  action: 'C' | 'R' | 'U' | 'D' | 'E'
  /** e.g. 'create', 'read', 'search', 'delivery' */
  subtype: string
  /** '0' success, '4' minor failure, '8' serious failure (AuditEvent.outcome) */
  outcome: '0' | '4' | '8' | '12'
  /** who: client id or ODS code */
  agent: string
  /** what: "ServiceRequest/{id}" */
  entity: string
  correlationId?: string
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

/** What {@link Store.prune} deletes: everything older than these instants. */
export interface PruneCutoffs {
  deliveredBefore: Date
  auditBefore: Date
}

/** How many rows a prune deleted (or, dry, would delete). */
export interface PruneCounts {
  deliveredRows: number
  auditRecords: number
}

export type CircuitState = 'closed' | 'open' | 'half-open'

/** A partnership's circuit breaker as last recorded by a worker. */
export interface CircuitRecord {
  partnershipId: string
  state: CircuitState
  /** failures in the breaker's sliding window (named when the breaker counted consecutive failures) */
  consecutiveFailures: number
  /** when the circuit last opened */
  openedAt?: string
  /** while open: when a single probe will be let through */
  openUntil?: string
  updatedAt: string
}

/** A new version of a stored Task, for {@link Store.updateTask}. */
export interface TaskVersionWrite {
  /** the new version: resource.meta.versionId and lastUpdated match versionId and lastUpdated */
  task: StoredResource
  /** the version the update was made from (the client's If-Match) */
  expectedVersionId: string
  /** the Task's new status, for its search row */
  status: string
  audit: AuditRecord[]
  /** an outbox row queued in the same transaction (a partnership's cancellation, a BaRS response) */
  outbox?: NewOutboxRow
  /**
   * other resources written in the same transaction: each rewritten only if still at its
   * expectedVersionId (e.g. the ServiceRequest a BaRS cancellation marks revoked); without
   * one, created (e.g. the Patient of a changed referral), failing if the id is taken
   */
  resources?: Array<{ resource: StoredResource, expectedVersionId?: string }>
  /** whose the created `resources` are (required when any is created) */
  scope?: ResourceScope
  /** an X-Request-Id to mark done in the same transaction (a BaRS update or cancellation) */
  requestId?: { id: string, serviceRequestId: string }
}

export type TaskVersionResult =
  | { kind: 'updated' }
  | { kind: 'not-found' }
  /** the stored version moved on meanwhile; nothing was written */
  | { kind: 'version-conflict', currentVersionId: string }
  /** one of `resources` is missing or moved on from its expectedVersionId; nothing was written */
  | { kind: 'resource-conflict', resourceType: string, id: string, currentVersionId?: string }
