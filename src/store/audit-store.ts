import type { AuditQuery } from '../audit/audit-event.ts'

/** The audit trail: records appended one by one, searched by operators (GET /admin/AuditEvent). */
export interface AuditStore {
  appendAudit(event: AuditRecord): Promise<void>
  /** The audit trail, newest first, by exact entity and/or a part of the agent. */
  searchAudit(query: AuditQuery): Promise<AuditRecord[]>
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
