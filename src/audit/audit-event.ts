import type { AuditEvent, Bundle } from '@medplum/fhirtypes'
import { WORKWELL_BASE } from '../fhir/systems.ts'
import type { AuditRecord } from '../store/store.ts'

/** The agent string's system: "client/{id} ods/{codes} partnership/{ids}" (src/auth/principal.ts auditAgent). */
export const AUDIT_AGENT_SYSTEM = `${WORKWELL_BASE}/Id/audit-agent`
export const CORRELATION_ID_EXTENSION = `${WORKWELL_BASE}/StructureDefinition/correlation-id`

/** R4 restful-interaction codes for the subtypes that are RESTful interactions. */
const RESTFUL: Readonly<Record<string, string>> = {
  create: 'create',
  read: 'read',
  vread: 'vread',
  search: 'search-type',
  update: 'update',
  patch: 'patch'
}

/**
 * A stored audit record as an R4 AuditEvent (auditevent.html): type rest or a WorkWell
 * subtype, who (agent: client, ODS codes or partnership; never a person), what (entity
 * reference), when (recorded), outcome. Ids and references only.
 */
export function auditEvent (r: AuditRecord): AuditEvent {
  const restful = RESTFUL[r.subtype]
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    id: r.id,
    type: restful === undefined
      ? { system: `${WORKWELL_BASE}/CodeSystem/audit-event-type`, code: r.subtype }
      : { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [restful === undefined
      ? { system: `${WORKWELL_BASE}/CodeSystem/audit-event-type`, code: r.subtype }
      : { system: 'http://hl7.org/fhir/restful-interaction', code: restful }],
    action: r.action,
    recorded: r.recorded,
    outcome: r.outcome,
    agent: [{ who: { identifier: { system: AUDIT_AGENT_SYSTEM, value: r.agent } }, requestor: true }],
    source: { observer: { display: 'WorkWell Gateway' } },
    entity: [/^[A-Za-z]+\/[A-Za-z0-9\-.]+$/.test(r.entity) ? { what: { reference: r.entity } } : { what: { display: r.entity } }]
  }
  if (r.correlationId !== undefined) event.extension = [{ url: CORRELATION_ID_EXTENSION, valueString: r.correlationId }]
  return event
}

export function auditBundle (records: AuditRecord[], id: string, selfUrl: string, baseUrl: string): Bundle {
  return {
    resourceType: 'Bundle',
    id,
    type: 'searchset',
    link: [{ relation: 'self', url: selfUrl }],
    entry: records.map((r) => ({ fullUrl: `${baseUrl}/AuditEvent/${r.id}`, resource: auditEvent(r), search: { mode: 'match' } }))
  }
}

/** What an operator may filter the audit trail by (GET /admin/AuditEvent). */
export interface AuditQuery {
  /** exact entity, e.g. "Task/123" */
  entity?: string
  /** part of the agent, e.g. "ods/A81001", "partnership/leeds" or "client/gp-1" */
  agent?: string
  /** exact correlation id (with `recorded`: the records one request wrote together) */
  correlationId?: string
  /** exact instant, as stored */
  recorded?: string
  /** newest first, at most this many */
  limit: number
}
