import { describe, expect, it } from 'vitest'
import type { AuditRecord, Store } from '../../../../src/store/store.ts'
import { storeFixture, T0, ms, referral, settle, deliveryById, type StoreHarness } from './harness.ts'

/** The delivery outbox: claims under a lease, settling, listing, replay and backlog. */
export function describeOutboxContract (harness: StoreHarness): void {
  describe('OutboxStore', () => {
    const { open, count } = storeFixture(harness)

    describe('delivery outbox', () => {
      const LEASE = 60_000

      it('claims a row only once it is due', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        expect(await store.claimDueDeliveries(ms(T0, -1), 10, LEASE)).toEqual([])
        const [row] = await store.claimDueDeliveries(new Date(T0), 10, LEASE)
        expect(row).toMatchObject({ id: 'out-1', status: 'pending', attempts: 0, leaseUntil: ms(T0, LEASE).toISOString() })
      })

      it('does not hand out a leased row until its lease has run out', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        expect(await store.claimDueDeliveries(new Date(T0), 10, LEASE)).toHaveLength(1)
        expect(await store.claimDueDeliveries(ms(T0, 1), 10, LEASE)).toEqual([])
        expect(await store.claimDueDeliveries(ms(T0, LEASE), 10, LEASE)).toEqual([])
        const again = await store.claimDueDeliveries(ms(T0, LEASE + 1), 10, LEASE)
        // a re-claim after an expired lease is not an attempt: the worker never reported one
        expect(again).toMatchObject([{ id: 'out-1', attempts: 0, leaseUntil: ms(T0, 2 * LEASE + 1).toISOString() }])
      })

      it('claims at most limit rows, the earliest due first', async () => {
        const store = await open()
        await store.saveReferral(referral('3', { lastUpdated: '2026-03-01T09:00:03.000Z' }))
        await store.saveReferral(referral('1', { lastUpdated: '2026-03-01T09:00:01.000Z' }))
        await store.saveReferral(referral('2', { lastUpdated: '2026-03-01T09:00:02.000Z' }))
        const now = ms(T0, 10_000)
        expect((await store.claimDueDeliveries(now, 2, LEASE)).map((r) => r.id)).toEqual(['out-1', 'out-2'])
        expect((await store.claimDueDeliveries(now, 2, LEASE)).map((r) => r.id)).toEqual(['out-3'])
        expect(await store.claimDueDeliveries(now, 0, LEASE)).toEqual([])
      })

      it('schedules a retry: counts the attempt, records the error, clears the lease', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        await store.claimDueDeliveries(new Date(T0), 10, LEASE)
        await settle(store, ms(T0, 1000), { id: 'out-1', outcome: 'retry', nextAttemptAt: ms(T0, 10_000), error: 'HTTP 503' })

        expect(await store.listDeliveries({ limit: 10 })).toEqual([expect.objectContaining({
          status: 'pending', attempts: 1, nextAttemptAt: ms(T0, 10_000).toISOString(), lastError: 'HTTP 503', updatedAt: ms(T0, 1000).toISOString()
        })])
        expect((await store.listDeliveries({ limit: 10 }))[0]).not.toHaveProperty('leaseUntil')
        expect(await store.claimDueDeliveries(ms(T0, 9_999), 10, LEASE)).toEqual([])
        // still inside the first lease, so only a cleared lease lets it out
        expect(await store.claimDueDeliveries(ms(T0, 10_000), 10, LEASE)).toMatchObject([{ id: 'out-1', attempts: 1 }])
      })

      it('marks a row delivered and never hands it out again', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        await store.claimDueDeliveries(new Date(T0), 10, LEASE)
        await settle(store, ms(T0, 500), { id: 'out-1', outcome: 'delivered', responseStatus: 202 })
        const [row] = await store.listDeliveries({ limit: 10 })
        expect(row).toMatchObject({ status: 'delivered', attempts: 1, lastResponseStatus: 202, updatedAt: ms(T0, 500).toISOString() })
        expect(row).not.toHaveProperty('leaseUntil')
        expect(await store.claimDueDeliveries(ms(T0, 10 * LEASE), 10, LEASE)).toEqual([])
      })

      it('dead-letters a row and never hands it out again', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        await store.claimDueDeliveries(new Date(T0), 10, LEASE)
        await settle(store, ms(T0, 1), { id: 'out-1', outcome: 'retry', nextAttemptAt: ms(T0, 1), error: 'HTTP 500' })
        await store.claimDueDeliveries(ms(T0, 1), 10, LEASE)
        await settle(store, ms(T0, 2), { id: 'out-1', outcome: 'dead-letter', error: 'HTTP 400: rejected' })
        const [row] = await store.listDeliveries({ limit: 10 })
        expect(row).toMatchObject({ status: 'dead-letter', attempts: 2, lastError: 'HTTP 400: rejected' })
        expect(row).not.toHaveProperty('leaseUntil')
        expect(await store.claimDueDeliveries(ms(T0, 10 * LEASE), 10, LEASE)).toEqual([])
      })

      it('ignores a late outcome for a row already settled', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        await settle(store, ms(T0, 1), { id: 'out-1', outcome: 'delivered', responseStatus: 200 })
        await settle(store, ms(T0, 2), { id: 'out-1', outcome: 'dead-letter', error: 'timeout' })
        await settle(store, ms(T0, 2), { id: 'out-1', outcome: 'retry', nextAttemptAt: ms(T0, 3), error: 'timeout' })
        expect(await store.listDeliveries({ limit: 10 }))
          .toMatchObject([{ status: 'delivered', attempts: 1, nextAttemptAt: T0, updatedAt: ms(T0, 1).toISOString() }])
      })

      it('lists deliveries newest first, by partnership and status, up to limit', async () => {
        const store = await open()
        await store.saveReferral(referral('1', { lastUpdated: '2026-03-01T09:00:01.000Z', owner: 'north-east' }))
        await store.saveReferral(referral('2', { lastUpdated: '2026-03-01T09:00:02.000Z', owner: 'south-west' }))
        await store.saveReferral(referral('3', { lastUpdated: '2026-03-01T09:00:03.000Z', owner: 'north-east' }))
        await store.saveReferral(referral('4', { lastUpdated: '2026-03-01T09:00:04.000Z', owner: 'north-east' }))
        await settle(store, ms(T0, 5000), { id: 'out-3', outcome: 'delivered', responseStatus: 200 })

        const list = async (filter: Parameters<Store['listDeliveries']>[0]): Promise<string[]> =>
          (await store.listDeliveries(filter)).map((r) => r.id)
        expect(await list({ limit: 10 })).toEqual(['out-4', 'out-3', 'out-2', 'out-1'])
        expect(await list({ limit: 2 })).toEqual(['out-4', 'out-3'])
        expect(await list({ partnershipId: 'north-east', limit: 10 })).toEqual(['out-4', 'out-3', 'out-1'])
        expect(await list({ status: 'pending', limit: 10 })).toEqual(['out-4', 'out-2', 'out-1'])
        expect(await list({ partnershipId: 'north-east', status: 'delivered', limit: 10 })).toEqual(['out-3'])
        expect(await list({ status: 'dead-letter', limit: 10 })).toEqual([])
        expect(await list({ serviceRequestId: 'sr-3', limit: 10 })).toEqual(['out-3'])
        expect(await list({ serviceRequestId: 'sr-3', partnershipId: 'south-west', limit: 10 })).toEqual([])
      })
    })

    describe('worker and operator methods', () => {
      const LEASE = 60_000

      it('claims each due row once when two stores on one database claim at the same moment', async () => {
        // two gateway instances (PostgreSQL: FOR UPDATE SKIP LOCKED), or the server and the worker command
        const a = await open()
        const b = await open()
        await Promise.all(Array.from({ length: 60 }, async (_, i) => { await a.saveReferral(referral(String(i).padStart(3, '0'))) }))
        const now = ms(T0, 1000)
        const claims = await Promise.all(Array.from({ length: 12 }, async (_, i) => (i % 2 === 0 ? a : b).claimDueDeliveries(now, 6, LEASE)))
        const ids = claims.flat().map((r) => r.id)
        expect(ids).toHaveLength(60)
        expect(new Set(ids).size).toBe(60)
      })

      it('claims only the partnerships asked for, or all but the excluded ones', async () => {
        const store = await open()
        await store.saveReferral(referral('1', { owner: 'north-east' }))
        await store.saveReferral(referral('2', { owner: 'south-west' }))
        await store.saveReferral(referral('3', { owner: 'north-east' }))
        const now = ms(T0, 10_000)
        expect((await store.claimDueDeliveries(now, 1, LEASE, { partnershipIds: ['north-east'] })).map((r) => r.id)).toEqual(['out-1'])
        expect((await store.claimDueDeliveries(now, 10, LEASE, { excludePartnershipIds: ['north-east'] })).map((r) => r.id)).toEqual(['out-2'])
        expect(await store.claimDueDeliveries(now, 10, LEASE, { partnershipIds: [] })).toEqual([])
        expect((await store.claimDueDeliveries(now, 10, LEASE, {})).map((r) => r.id)).toEqual(['out-3'])
      })

      it('settles many outcomes in one transaction, ignoring rows no longer pending', async () => {
        const store = await open()
        for (const n of ['1', '2', '3', '4', '5']) await store.saveReferral(referral(n))
        await store.claimDueDeliveries(ms(T0, 10_000), 10, LEASE)
        await settle(store, ms(T0, 1), { id: 'out-5', outcome: 'delivered', responseStatus: 200 })
        await store.settleDeliveries([
          { id: 'out-1', outcome: 'delivered', responseStatus: 201 },
          { id: 'out-2', outcome: 'retry', nextAttemptAt: ms(T0, 5_000), error: 'HTTP 503', responseStatus: 503 },
          { id: 'out-3', outcome: 'dead-letter', error: 'HTTP 400 (rejected by partner)', responseStatus: 400 },
          { id: 'out-4', outcome: 'deferred', nextAttemptAt: ms(T0, 7_000) },
          { id: 'out-5', outcome: 'dead-letter', error: 'late' },
          { id: 'nope', outcome: 'delivered', responseStatus: 200 }
        ], ms(T0, 2_000))
        const byId = new Map((await store.listDeliveries({ limit: 10 })).map((r) => [r.id, r]))
        expect(byId.get('out-1')).toMatchObject({ status: 'delivered', attempts: 1, lastResponseStatus: 201 })
        expect(byId.get('out-2')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 503', lastResponseStatus: 503, nextAttemptAt: ms(T0, 5_000).toISOString() })
        expect(byId.get('out-3')).toMatchObject({ status: 'dead-letter', attempts: 1, lastResponseStatus: 400 })
        expect(byId.get('out-4')).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: ms(T0, 7_000).toISOString() })
        expect(byId.get('out-4')).not.toHaveProperty('leaseUntil')
        expect(byId.get('out-5')).toMatchObject({ status: 'delivered', attempts: 1 })
      })

      it('writes the attempts\' audit records in the same transaction as their outcomes', async () => {
        const store = await open()
        for (const n of ['1', '2']) await store.saveReferral(referral(n))
        await store.claimDueDeliveries(ms(T0, 10_000), 10, LEASE)
        const attempt = (id: string, entity: string, outcome: AuditRecord['outcome']): AuditRecord =>
          ({ id, recorded: '2026-03-01T10:00:00Z', action: 'E', subtype: 'delivery', outcome, agent: 'gateway', entity })
        const before = await count('audit_events')
        await store.settleDeliveries([
          { id: 'out-1', outcome: 'delivered', responseStatus: 201 },
          { id: 'out-2', outcome: 'dead-letter', error: 'HTTP 400', responseStatus: 400 }
        ], ms(T0, 2_000), [attempt('d-1', 'Task/t-1', '0'), attempt('d-2', 'Task/t-2', '4')])
        expect(await count('audit_events')).toBe(before + 2)
        expect((await store.searchAudit({ entity: 'Task/t-2', limit: 10 })).map((a) => [a.id, a.outcome])).toStrictEqual([['d-2', '4']])
        // one bad audit record (a duplicate id) rolls back the outcomes with it
        await store.saveReferral(referral('3'))
        await store.claimDueDeliveries(ms(T0, 20_000), 10, LEASE)
        await expect(store.settleDeliveries([{ id: 'out-3', outcome: 'delivered', responseStatus: 201 }], ms(T0, 3_000), [attempt('d-1', 'Task/t-3', '0')])).rejects.toThrow(/unique/i)
        expect(await deliveryById(store, 'out-3')).toMatchObject({ status: 'pending' })
      })

      it('replays a dead letter: pending, due now, attempts reset; refuses others', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        await store.saveReferral(referral('2'))
        await settle(store, ms(T0, 1), { id: 'out-1', outcome: 'dead-letter', error: 'HTTP 400 (rejected by partner)' })
        const replayed = await store.replayDelivery('out-1', ms(T0, 9_000))
        expect(replayed).toMatchObject({ kind: 'replayed', row: { status: 'pending', attempts: 0, nextAttemptAt: ms(T0, 9_000).toISOString(), lastError: 'HTTP 400 (rejected by partner)' } })
        expect((await store.claimDueDeliveries(ms(T0, 9_000), 10, LEASE)).map((r) => r.id)).toContain('out-1')
        expect(await store.replayDelivery('out-1', ms(T0, 9_001))).toMatchObject({ kind: 'not-dead-letter', row: { status: 'pending' } })
        await settle(store, ms(T0, 1), { id: 'out-2', outcome: 'delivered', responseStatus: 200 })
        expect(await store.replayDelivery('out-2', ms(T0, 9_001))).toMatchObject({ kind: 'not-dead-letter', row: { status: 'delivered' } })
        expect(await store.replayDelivery('nope', ms(T0, 9_001))).toEqual({ kind: 'not-found' })
        expect(await deliveryById(store, 'out-2')).toMatchObject({ id: 'out-2', status: 'delivered' })
        expect(await deliveryById(store, 'nope')).toBeUndefined()
      })

      it('counts the backlog: pending and dead-letter rows and the oldest pending one', async () => {
        const store = await open()
        expect(await store.outboxStats()).toEqual({ pending: 0, deadLetter: 0 })
        await store.saveReferral(referral('1', { lastUpdated: '2026-03-01T09:00:01.000Z' }))
        await store.saveReferral(referral('2', { lastUpdated: '2026-03-01T09:00:02.000Z' }))
        await store.saveReferral(referral('3', { lastUpdated: '2026-03-01T09:00:03.000Z' }))
        await settle(store, ms(T0, 5000), { id: 'out-1', outcome: 'delivered', responseStatus: 200 })
        await settle(store, ms(T0, 5000), { id: 'out-3', outcome: 'dead-letter', error: 'HTTP 400' })
        expect(await store.outboxStats()).toEqual({ pending: 1, deadLetter: 1, oldestPendingCreatedAt: '2026-03-01T09:00:02.000Z' })
      })
    })
  })
}
