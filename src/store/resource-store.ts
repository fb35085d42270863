import type { Resource } from '@medplum/fhirtypes'
import type { AuditRecord } from './audit-store.ts'
import type { NewOutboxRow } from './outbox-store.ts'

/**
 * The FHIR resources: a referral written whole, Task versions written under optimistic
 * locking, reads and Task searches scoped to the caller. A write carries its outbox row, audit
 * records and X-Request-Id completion, committed with it.
 */
export interface ResourceStore {
  /**
   * Stores a whole accepted referral in ONE transaction: every resource, the Task, the outbox
   * row (if any), the audit events, and the request-id completion. Any failure rolls all of it
   * back and rethrows; nothing is half-stored.
   */
  saveReferral(write: ReferralWrite): Promise<void>
  /**
   * Writes a new version of a Task in ONE transaction, only if the stored version is still
   * `expectedVersionId` (optimistic locking: the check and the write are one conditional
   * UPDATE, so of two updates from the same version exactly one wins). The Task's search
   * row (status, lastUpdated), the audit records, and when given the outbox row, the other
   * resources (each version-checked the same way) and the request-id completion are written
   * in the same transaction: all of it or none.
   */
  updateTask(write: TaskVersionWrite): Promise<TaskVersionResult>
  /**
   * One resource. With `scope`, only when the caller may see it: the scope is part of the
   * query, so a resource outside it reads exactly as an unknown id does. Without a scope the
   * read is the gateway's own (delivery, BaRS responses), never a caller's.
   */
  readResource(resourceType: string, id: string, scope?: AccessScope): Promise<StoredResource | undefined>
  /** Tasks matching the query; with `query.scope`, only those the caller may see, counted and paged in the query. */
  searchTasks(query: TaskQuery): Promise<TaskSearchResult>
}

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
   * the keyed digest of the person's NHS number (duplicate-index.ts), stored with the Task id
   * and the Task's lastUpdated as the time the referral was accepted; absent without an NHS number
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

/** A new version of a stored Task, for {@link ResourceStore.updateTask}. */
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
