import { describe, expect, it } from 'vitest'
import type { AuditRecord } from '../../../../src/store/store.ts'
import { storeFixture, T0, type StoreHarness } from './harness.ts'

/** The audit trail: append and search. */
export function describeAuditContract (harness: StoreHarness): void {
  describe('AuditStore', () => {
    const { open, count } = storeFixture(harness)

    describe('appendAudit', () => {
      it('stores one record and refuses a duplicate id', async () => {
        const store = await open()
        const event: AuditRecord = { id: 'a-1', recorded: '2026-03-01T10:00:00+01:00', action: 'R', subtype: 'read', outcome: '0', agent: 'Y12345', entity: 'ServiceRequest/sr-1' }
        await store.appendAudit(event)
        expect((await harness.sql('SELECT * FROM audit_events'))[0]).toEqual({
          id: 'a-1', recorded: T0, action: 'R', subtype: 'read', outcome: '0', agent: 'Y12345', entity: 'ServiceRequest/sr-1', correlation_id: null
        })
        await expect(store.appendAudit(event)).rejects.toThrow(/unique/i)
        expect(await count('audit_events')).toBe(1)
      })

      it('searches the trail newest first, by exact entity and by a part of the agent', async () => {
        const store = await open()
        const at = (id: string, recorded: string, agent: string, entity: string): AuditRecord => ({ id, recorded, action: 'R', subtype: 'read', outcome: '0', agent, entity })
        await store.appendAudit(at('a-1', '2026-03-01T10:00:00Z', 'client/gp-1 ods/A81001', 'Task/t1'))
        await store.appendAudit({ ...at('a-2', '2026-03-01T11:00:00Z', 'client/p-1 partnership/leeds', 'Task/t1'), correlationId: 'c-2' })
        await store.appendAudit(at('a-3', '2026-03-01T12:00:00Z', 'client/gp-1 ods/A81001', 'Task/t10'))
        expect((await store.searchAudit({ entity: 'Task/t1', limit: 10 })).map((a) => a.id)).toStrictEqual(['a-2', 'a-1'])
        expect((await store.searchAudit({ agent: 'ods/A81001', limit: 10 })).map((a) => a.id)).toStrictEqual(['a-3', 'a-1'])
        expect((await store.searchAudit({ agent: '%', limit: 10 })).map((a) => a.id)).toStrictEqual([])
        expect((await store.searchAudit({ limit: 2 })).map((a) => a.id)).toStrictEqual(['a-3', 'a-2'])
        const [a2] = await store.searchAudit({ entity: 'Task/t1', agent: 'leeds', limit: 1 })
        expect((await store.searchAudit({ correlationId: 'c-2', recorded: a2?.recorded ?? '', limit: 10 })).map((a) => a.id)).toStrictEqual(['a-2'])
        expect(await store.searchAudit({ correlationId: 'c-2', recorded: (await store.searchAudit({ entity: 'Task/t10', limit: 1 }))[0]?.recorded ?? '', limit: 10 })).toStrictEqual([])
        const [second] = await store.searchAudit({ entity: 'Task/t1', agent: 'leeds', limit: 10 })
        expect(second).toMatchObject({ id: 'a-2', agent: 'client/p-1 partnership/leeds', correlationId: 'c-2', action: 'R', outcome: '0' })
      })
    })
  })
}
