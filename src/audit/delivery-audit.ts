import type { AuditRecord, DeliverySettlement, OutboxRow } from '../store/store.ts'
import { auditRecord } from './audit-record.ts'

/**
 * The audit record of one delivery attempt (every delivery is audited): which
 * referral went to which partnership, when, and how it went — '0' delivered, '4' to be
 * retried, '8' dead-lettered. A deferred row was not attempted and leaves no record.
 */
export function deliveryAudit (id: string, at: Date, row: OutboxRow, settlement: DeliverySettlement): AuditRecord | undefined {
  if (settlement.outcome === 'deferred') return undefined
  // a BaRS response goes back to the referrer's endpoint ("bars:{endpoint}"), not to a partnership
  const bars = row.partnershipId.startsWith('bars:')
  return auditRecord(id, at, {
    action: 'E',
    subtype: bars ? 'bars-response-delivery' : 'delivery',
    agent: bars ? row.partnershipId : `partnership/${row.partnershipId}`,
    entity: `ServiceRequest/${row.serviceRequestId}`,
    outcome: settlement.outcome === 'delivered' ? '0' : settlement.outcome === 'retry' ? '4' : '8'
  })
}
