import { describe, expect, it } from 'vitest'
import { normaliseInstant } from '../../../src/store/fhir-instant.ts'
import { toReferralRows } from '../../../src/store/store-rows.ts'
import type { ReferralWrite } from '../../../src/store/store.ts'

const AT = '2026-12-06T12:00:00.000Z'

function write (auditAt: readonly string[]): ReferralWrite {
  return {
    resources: [
      { resourceType: 'ServiceRequest', id: 'sr1', versionId: '1', lastUpdated: AT, resource: { resourceType: 'ServiceRequest', id: 'sr1' } as never, json: '{"resourceType":"ServiceRequest","id":"sr1"}' },
      { resourceType: 'Task', id: 't1', versionId: '1', lastUpdated: AT, resource: { resourceType: 'Task', id: 't1' } as never, json: '{"resourceType":"Task","id":"t1"}' }
    ],
    task: { id: 't1', basedOn: 'ServiceRequest/sr1', owner: 'p1', status: 'requested', lastUpdated: AT },
    serviceRequestId: 'sr1',
    outbox: { id: 'o1', partnershipId: 'p1', serviceRequestId: 'sr1', taskId: 't1', createdAt: AT },
    audit: auditAt.map((recorded, i) => ({ id: `a${i}`, recorded, action: 'C', subtype: 'create', outcome: '0', agent: 'client/x', entity: i === 0 ? 'ServiceRequest/sr1' : 'Task/t1' }))
  }
}

describe('toReferralRows', () => {
  it('checks the one acceptance instant a referral\'s rows share once, not once per row', () => {
    const seen: string[] = []
    const rows = toReferralRows(write([AT, AT]), (i) => { seen.push(i); return normaliseInstant(i) })
    expect(seen).toEqual([AT])
    expect(rows.task[4]).toBe(AT)
    expect(rows.outbox?.[4]).toBe(AT)
    expect(rows.audit.map((a) => a[1])).toEqual([AT, AT])
  })

  it('still normalises each different instant, and each one right', () => {
    const seen: string[] = []
    const rows = toReferralRows(write(['2026-12-06T12:00:00Z', AT, '2026-12-06T13:00:00+01:00']), (i) => { seen.push(i); return normaliseInstant(i) })
    expect(seen).toEqual([AT, '2026-12-06T12:00:00Z', AT, '2026-12-06T13:00:00+01:00'])
    expect(rows.audit.map((a) => a[1])).toEqual([AT, AT, AT])
  })

  it('refuses a bad instant wherever it is', () => {
    expect(() => toReferralRows(write([AT, '2026-02-30T00:00:00.000Z']), normaliseInstant)).toThrow(RangeError)
  })
})
