import type { Resource } from '@medplum/fhirtypes'
import type { AuditRecord, CircuitRecord, CircuitState, DeliveryStatus, KeyedReferral, OutboxKind, OutboxRow, OutboxStats, ReferralWrite, ResourceScope, StoredResource, TaskVersionResult, TaskVersionWrite } from './store.ts'

/**
 * A row as a driver returns it: column name → value. Both stores share one schema and one
 * set of column names, so both read their rows with these functions.
 */
export type Row = Record<string, unknown>

/**
 * Reads a TEXT column that must not be NULL.
 *
 * @throws TypeError when the column is missing or holds another type (a schema bug)
 */
export function text (row: Row, column: string): string {
  const value = row[column]
  if (typeof value !== 'string') throw new TypeError(`column ${column}: expected text, got ${describe(value)}`)
  return value
}

/** Reads a nullable TEXT column; NULL becomes undefined so optional fields stay absent. */
export function optText (row: Row, column: string): string | undefined {
  const value = row[column]
  return value === null ? undefined : text(row, column)
}

/**
 * Reads an INTEGER column that must not be NULL.
 *
 * @throws TypeError when the column is missing, holds another type, or does not fit a number
 */
export function int (row: Row, column: string): number {
  const value = row[column]
  if (typeof value === 'number' && Number.isInteger(value)) return value
  // only when a statement reads BigInts; the store's integers are small
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) {
    return Number(value)
  }
  throw new TypeError(`column ${column}: expected integer, got ${describe(value)}`)
}

/** Reads a nullable INTEGER column; NULL becomes undefined. */
export function optInt (row: Row, column: string): number | undefined {
  const value = row[column]
  return value === null ? undefined : int(row, column)
}

function describe (value: unknown): string {
  if (value === undefined) return 'no such column'
  if (value === null) return 'NULL'
  if (value instanceof Uint8Array) return 'blob'
  return typeof value
}

/** The audit_events column values of a record, in table order. */
export function auditValues (event: AuditRecord, normalise: (instant: string) => string): Array<string | null> {
  return [
    event.id,
    normalise(event.recorded),
    event.action,
    event.subtype,
    event.outcome,
    event.agent,
    event.entity,
    event.correlationId ?? null
  ]
}

export function toStoredResource (row: Row): StoredResource {
  const resourceType = text(row, 'resource_type')
  const id = text(row, 'id')
  const parsed: unknown = JSON.parse(text(row, 'content'))
  if (typeof parsed !== 'object' || parsed === null || !('resourceType' in parsed) || parsed.resourceType !== resourceType) {
    throw new TypeError(`stored content of ${resourceType}/${id} is not a ${resourceType}`)
  }
  return {
    resourceType,
    id,
    versionId: text(row, 'version_id'),
    lastUpdated: text(row, 'last_updated'),
    // checked above to be an object of the right resourceType; it was a Resource when stored
    resource: parsed as Resource
  }
}

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'dead-letter']

export function toOutboxRow (row: Row): OutboxRow {
  const status = DELIVERY_STATUSES.find((s) => s === text(row, 'status'))
  if (status === undefined) throw new TypeError(`unknown delivery status '${text(row, 'status')}'`)
  const out: OutboxRow = {
    id: text(row, 'id'),
    partnershipId: text(row, 'partnership_id'),
    serviceRequestId: text(row, 'service_request_id'),
    taskId: text(row, 'task_id'),
    createdAt: text(row, 'created_at'),
    status,
    attempts: int(row, 'attempts'),
    nextAttemptAt: text(row, 'next_attempt_at'),
    updatedAt: text(row, 'updated_at')
  }
  // optional fields are left out rather than set to undefined, so rows compare cleanly
  const leaseUntil = optText(row, 'lease_until')
  if (leaseUntil !== undefined) out.leaseUntil = leaseUntil
  const lastError = optText(row, 'last_error')
  if (lastError !== undefined) out.lastError = lastError
  const lastResponseStatus = optInt(row, 'last_response_status')
  if (lastResponseStatus !== undefined) out.lastResponseStatus = lastResponseStatus
  const kind = OUTBOX_KINDS.find((k) => k === text(row, 'kind'))
  if (kind === undefined) throw new TypeError(`unknown outbox kind '${text(row, 'kind')}'`)
  out.kind = kind
  const payload = optText(row, 'payload')
  if (payload !== undefined) out.payload = payload
  return out
}

const OUTBOX_KINDS: readonly OutboxKind[] = ['referral', 'bars-response']

const CIRCUIT_STATES: readonly CircuitState[] = ['closed', 'open', 'half-open']

export function toCircuitRecord (row: Row): CircuitRecord {
  const state = CIRCUIT_STATES.find((s) => s === text(row, 'state'))
  if (state === undefined) throw new TypeError(`unknown circuit state '${text(row, 'state')}'`)
  const out: CircuitRecord = {
    partnershipId: text(row, 'partnership_id'),
    state,
    consecutiveFailures: int(row, 'consecutive_failures'),
    updatedAt: text(row, 'updated_at')
  }
  const openedAt = optText(row, 'opened_at')
  if (openedAt !== undefined) out.openedAt = openedAt
  const openUntil = optText(row, 'open_until')
  if (openUntil !== undefined) out.openUntil = openUntil
  return out
}

/** Claimed rows, oldest due first (RETURNING gives no order guarantee). */
export function byDueThenCreated (a: OutboxRow, b: OutboxRow): number {
  return compare(a.nextAttemptAt, b.nextAttemptAt) || compare(a.createdAt, b.createdAt) || compare(a.id, b.id)
}

function compare (a: string, b: string): number {
  if (a < b) return -1
  return a > b ? 1 : 0
}

/** @throws RangeError for a count, offset or limit that is not a non-negative integer */
export function checkNonNegativeInteger (name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`)
}

/** Reads the outboxStats query's one row (pending, dead_letter, oldest). */
export function toOutboxStats (row: Row): OutboxStats {
  const stats: OutboxStats = { pending: int(row, 'pending'), deadLetter: int(row, 'dead_letter') }
  const oldest = optText(row, 'oldest')
  if (oldest !== undefined) stats.oldestPendingCreatedAt = oldest
  return stats
}

/** @throws TypeError when a stored resource's content is another resource (a caller bug) */
export function checkResources (resources: readonly StoredResource[]): void {
  for (const r of resources) {
    if (r.resource.resourceType !== r.resourceType || r.resource.id !== r.id) {
      throw new TypeError(`stored resource ${r.resourceType}/${r.id} carries ${r.resource.resourceType}/${String(r.resource.id)}`)
    }
  }
}

/** @throws TypeError when a Task version is not a Task, or its content has another id */
export function checkTaskVersion (t: StoredResource): void {
  if (t.resourceType !== 'Task' || t.resource.resourceType !== 'Task' || t.resource.id !== t.id) {
    throw new TypeError(`updateTask was given ${t.resourceType}/${t.id} carrying ${t.resource.resourceType}/${String(t.resource.id)}`)
  }
}

/**
 * Thrown inside an updateTask transaction when one of its other resources is not at its
 * expected version, so the whole transaction rolls back; the store then answers result().
 */
export class ResourceConflict extends Error {
  readonly resourceType: string
  readonly id: string
  readonly currentVersionId: string | undefined

  constructor (resourceType: string, id: string, currentVersionId: string | undefined) {
    super(`${resourceType}/${id} is not at the expected version`)
    this.name = 'ResourceConflict'
    this.resourceType = resourceType
    this.id = id
    this.currentVersionId = currentVersionId
  }

  result (): TaskVersionResult {
    return { kind: 'resource-conflict', resourceType: this.resourceType, id: this.id, ...(this.currentVersionId === undefined ? {} : { currentVersionId: this.currentVersionId }) }
  }
}

/** A resources row: resource_type, id, version_id, last_updated, content, referral_id, requester_ods, owner. */
export type ResourceRow = [string, string, string, string, string, string, string | null, string]

/** The resources row of a stored resource and its scope; content is its `json` when made already. */
export function resourceRow (r: StoredResource, scope: ResourceScope): ResourceRow {
  return [r.resourceType, r.id, r.versionId, r.lastUpdated, r.json ?? JSON.stringify(r.resource), scope.referralId, scope.requesterOds ?? null, scope.owner]
}

/**
 * The scope a resource created by a Task update is written with.
 *
 * @throws TypeError when the write has none (a caller bug: the resource would be unreadable)
 */
export function createdScope (write: TaskVersionWrite): ResourceScope {
  if (write.scope === undefined) throw new TypeError('updateTask creates a resource without its scope')
  return write.scope
}

/**
 * A referral write as SQLite column values: instants normalised, resources already JSON.
 * The writer thread receives this form (threaded-sqlite-store.ts): a structured clone of
 * flat strings is far cheaper than of the resources' object trees (intake CPU profile: cloning
 * the ReferralWrite was ~8% of the event loop), and the writer then only binds values.
 */
export interface ReferralRows {
  requestId: string | null
  serviceRequestId: string
  /** resource_type, id, version_id, last_updated, content, referral_id, requester_ods, owner */
  resources: ResourceRow[]
  /** id, based_on, owner, status, last_updated, requester_ods, reference */
  task: [string, string, string, string, string, string | null, string | null]
  /** id, partnership_id, service_request_id, task_id, created_at, kind, payload */
  outbox: [string, string, string, string, string, string, string | null] | null
  /** audit_events values, as auditValues gives them */
  audit: Array<Array<string | null>>
  /** patient_keys row: task_id, patient_key, accepted_at (store.ts DuplicateIndex) */
  patientKey: [string, string, string] | null
}

/**
 * Checks and flattens a referral write (see ReferralRows); a resource's content is its `json`
 * when the caller made it already.
 *
 * @throws TypeError or RangeError for a caller bug (a resource under another id, a bad instant)
 */
export function toReferralRows (write: ReferralWrite, normaliseEach: (instant: string) => string): ReferralRows {
  checkResources(write.resources)
  const normalise = repeatsFree(normaliseEach)
  const t = write.task
  const scope: ResourceScope = write.scope ?? { referralId: write.serviceRequestId, owner: t.owner }
  const lastUpdated = normalise(t.lastUpdated)
  const o = write.outbox
  return {
    requestId: write.requestId ?? null,
    serviceRequestId: write.serviceRequestId,
    resources: write.resources.map((r) => resourceRow(r, scope)),
    task: [t.id, t.basedOn, t.owner, t.status, lastUpdated, scope.requesterOds ?? null, t.reference ?? null],
    outbox: o === undefined ? null : [o.id, o.partnershipId, o.serviceRequestId, o.taskId, normalise(o.createdAt), o.kind ?? 'referral', o.payload ?? null],
    audit: write.audit.map((event) => auditValues(event, normalise)),
    patientKey: write.patientKey === undefined ? null : [t.id, write.patientKey, lastUpdated]
  }
}

/**
 * `f` with its last answer kept: a referral's Task, outbox row and audit records all carry
 * the one instant it was accepted at, and checking an instant costs ~1 µs (fhir-instant.ts).
 */
function repeatsFree (f: (instant: string) => string): (instant: string) => string {
  let lastIn: string | undefined
  let lastOut = ''
  return (instant) => {
    if (instant !== lastIn) {
      lastOut = f(instant)
      lastIn = instant
    }
    return lastOut
  }
}

/** A patient_keys row joined with its Task's search row (both stores' referralsByPatientKey). */
export function toKeyedReferral (row: Row): KeyedReferral {
  const basedOn = text(row, 'based_on')
  const out: KeyedReferral = {
    serviceRequestId: basedOn.startsWith('ServiceRequest/') ? basedOn.slice('ServiceRequest/'.length) : basedOn,
    taskId: text(row, 'task_id'),
    owner: text(row, 'owner'),
    acceptedAt: text(row, 'accepted_at')
  }
  const reference = optText(row, 'reference')
  if (reference !== undefined) out.reference = reference
  const requesterOds = optText(row, 'requester_ods')
  if (requesterOds !== undefined) out.requesterOds = requesterOds
  return out
}

/** Rows deleted per statement by a prune: small enough that intake never waits long for the lock. */
export const PRUNE_BATCH = 1_000
