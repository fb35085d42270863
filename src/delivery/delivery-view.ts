import type { CircuitRecord, CircuitState, DeliveryStatus, OutboxKind, OutboxRow } from '../store/store.ts'

/** The delivery statuses an operator can filter by. */
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'dead-letter']

/** Narrows a query or CLI value to a delivery status. */
export function isDeliveryStatus (value: string): value is DeliveryStatus {
  return (DELIVERY_STATUSES as readonly string[]).includes(value)
}

/** One delivery as operators see it: ids, references, counts and reasons, never content. */
export interface DeliveryView {
  id: string
  /** what the row delivers: a referral to its partnership, or a BaRS response to a referrer */
  kind: OutboxKind
  /** the partnership, or for a BaRS response "bars:{referrer endpoint}" */
  partnership: string
  status: DeliveryStatus
  attempts: number
  serviceRequest: string
  task: string
  createdAt: string
  updatedAt: string
  /** when pending: when it is next due */
  nextAttemptAt?: string
  lastError?: string
  lastResponseStatus?: number
}

/**
 * The operator view of an outbox row.
 * @param row - as stored
 */
export function deliveryView (row: OutboxRow): DeliveryView {
  const view: DeliveryView = {
    id: row.id,
    kind: row.kind ?? 'referral',
    partnership: row.partnershipId,
    status: row.status,
    attempts: row.attempts,
    serviceRequest: `ServiceRequest/${row.serviceRequestId}`,
    task: `Task/${row.taskId}`,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt
  }
  if (row.status === 'pending') view.nextAttemptAt = row.nextAttemptAt
  if (row.lastError !== undefined) view.lastError = row.lastError
  if (row.lastResponseStatus !== undefined) view.lastResponseStatus = row.lastResponseStatus
  return view
}

/**
 * A recorded circuit as it stands now: an open circuit whose wait is over is half-open (the
 * next poll sends its probe), whatever the record last said.
 * @param record - as stored by a worker
 * @param now - the clock's now
 */
export function circuitView (record: CircuitRecord, now: Date): CircuitRecord {
  const state: CircuitState = record.state === 'open' && record.openUntil !== undefined && Date.parse(record.openUntil) <= now.getTime()
    ? 'half-open'
    : record.state
  return { ...record, state }
}
