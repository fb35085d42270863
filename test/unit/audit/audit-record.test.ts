import { describe, expect, it } from 'vitest'
import { auditRecord } from '../../../src/audit/audit-record.ts'

describe('auditRecord', () => {
  it('records who, what, when and the outcome, success by default', () => {
    expect(auditRecord('a1', new Date('2026-11-20T10:00:00Z'), { action: 'R', subtype: 'read', agent: 'F83674', entity: 'Task/t1', correlationId: 'c1' })).toStrictEqual({
      id: 'a1', recorded: '2026-11-20T10:00:00.000Z', action: 'R', subtype: 'read', outcome: '0', agent: 'F83674', entity: 'Task/t1', correlationId: 'c1'
    })
  })

  it('keeps a failure outcome and leaves out an absent correlation id', () => {
    const r = auditRecord('a2', new Date(0), { action: 'E', subtype: 'delivery', agent: 'worker', entity: 'ServiceRequest/s', outcome: '8' })
    expect(r.outcome).toBe('8')
    expect('correlationId' in r).toBe(false)
  })
})
