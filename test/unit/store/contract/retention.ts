import { describe, expect, it } from 'vitest'
import { storeFixture, T0, ms, referral, settle, deliveryById, type StoreHarness } from './harness.ts'

/** Retention: what prune deletes and what it never touches. */
export function describeRetentionContract (harness: StoreHarness): void {
  describe('RetentionStore', () => {
    const { open } = storeFixture(harness)

    describe('prune', () => {
      it('prunes delivered rows and audit records past their cutoffs, never pending or dead-letter rows; a dry run only counts', async () => {
        const store = await open()
        await store.saveReferral(referral('1', { lastUpdated: '2026-03-01T09:00:01.000Z' }))
        await store.saveReferral(referral('2', { lastUpdated: '2026-03-01T09:00:02.000Z' }))
        await store.saveReferral(referral('3', { lastUpdated: '2026-03-01T09:00:03.000Z' }))
        await store.saveReferral(referral('4', { lastUpdated: '2026-03-05T09:00:03.000Z' }))
        await settle(store, ms(T0, 5000), { id: 'out-1', outcome: 'delivered', responseStatus: 200 })
        await settle(store, ms(T0, 5000), { id: 'out-3', outcome: 'dead-letter', error: 'HTTP 400' })
        // delivered after the cutoff: kept
        await settle(store, ms(T0, 86_400_000), { id: 'out-4', outcome: 'delivered', responseStatus: 200 })
        const cutoffs = { deliveredBefore: ms(T0, 60_000), auditBefore: new Date('2026-03-02T00:00:00.000Z') }
        const counts = { deliveredRows: 1, auditRecords: 6 }
        expect(await store.prune(cutoffs, true)).toEqual(counts)
        expect(await deliveryById(store, 'out-1')).toBeDefined()
        expect(await store.prune(cutoffs, false)).toEqual(counts)
        expect(await deliveryById(store, 'out-1')).toBeUndefined()
        expect((await deliveryById(store, 'out-2'))?.status).toBe('pending')
        expect((await deliveryById(store, 'out-3'))?.status).toBe('dead-letter')
        expect((await deliveryById(store, 'out-4'))?.status).toBe('delivered')
        expect((await store.searchAudit({ agent: 'client-a', limit: 100 })).map((a) => a.id).sort()).toEqual(['audit-4-1', 'audit-4-2'])
        expect(await store.prune(cutoffs, false)).toEqual({ deliveredRows: 0, auditRecords: 0 })
      })
    })
  })
}
