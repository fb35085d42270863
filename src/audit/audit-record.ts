import type { AuditRecord } from '../store/store.ts'

export interface AuditInput {
  action: AuditRecord['action']
  subtype: string
  entity: string
  agent: string
  correlationId?: string
  outcome?: AuditRecord['outcome']
}

/**
 * One audit record: who did what to which resource, when, with what outcome. Ids and
 * references only — never resource content (docs/decisions/request-logging.md).
 */
export function auditRecord (id: string, at: Date, input: AuditInput): AuditRecord {
  const record: AuditRecord = {
    id,
    recorded: at.toISOString(),
    action: input.action,
    subtype: input.subtype,
    outcome: input.outcome ?? '0',
    agent: input.agent,
    entity: input.entity
  }
  if (input.correlationId !== undefined) record.correlationId = input.correlationId
  return record
}
