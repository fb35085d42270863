import { optText, text, type Row } from '../store/store-rows.ts'
import type { AuditRecord } from '../store/store.ts'
import type { AuditQuery } from './audit-event.ts'

const ACTIONS: ReadonlyArray<AuditRecord['action']> = ['C', 'R', 'U', 'D', 'E']
const OUTCOMES: ReadonlyArray<AuditRecord['outcome']> = ['0', '4', '8', '12']

/** An audit_events row (both stores share the schema) as an AuditRecord. */
export function toAuditRecord (row: Row): AuditRecord {
  const action = ACTIONS.find((a) => a === text(row, 'action'))
  const outcome = OUTCOMES.find((o) => o === text(row, 'outcome'))
  if (action === undefined || outcome === undefined) throw new TypeError(`audit event ${text(row, 'id')} has an unknown action or outcome`)
  const out: AuditRecord = {
    id: text(row, 'id'),
    recorded: text(row, 'recorded'),
    action,
    subtype: text(row, 'subtype'),
    outcome,
    agent: text(row, 'agent'),
    entity: text(row, 'entity')
  }
  const correlationId = optText(row, 'correlation_id')
  if (correlationId !== undefined) out.correlationId = correlationId
  return out
}

/**
 * Newest first: the SQL both stores run for Store.searchAudit, parameters in the order of
 * auditSearchValues. Each filter is on an indexed column (entity, recorded) or narrows one.
 */
export const AUDIT_SEARCH_SQL = {
  sqlite: `SELECT * FROM audit_events WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR instr(agent, ?2) > 0)
    AND (?3 IS NULL OR correlation_id = ?3) AND (?4 IS NULL OR recorded = ?4)
    ORDER BY recorded DESC, id DESC LIMIT ?5`,
  pg: `SELECT * FROM audit_events WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR strpos(agent, $2) > 0)
    AND ($3::text IS NULL OR correlation_id = $3) AND ($4::text IS NULL OR recorded = $4)
    ORDER BY recorded DESC, id DESC LIMIT $5`
} as const

export function auditSearchValues (q: AuditQuery): Array<string | number | null> {
  return [q.entity ?? null, q.agent ?? null, q.correlationId ?? null, q.recorded ?? null, q.limit]
}
