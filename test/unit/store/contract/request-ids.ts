import { describe, expect, it } from 'vitest'
import { storeFixture, T0, ms, referral, type StoreHarness } from './harness.ts'

/** X-Request-Id claims: claim, take over a stale one, release, completion by a write. */
export function describeRequestIdContract (harness: StoreHarness): void {
  describe('RequestIdStore', () => {
    const { open } = storeFixture(harness)

    describe('request ids', () => {
      const STALE = 60_000

      it('claims a new id and reports a live claim as in flight', async () => {
        const store = await open()
        expect(await store.claimRequestId('req-1', new Date(T0), STALE)).toEqual({ kind: 'claimed' })
        expect(await store.claimRequestId('req-1', ms(T0, 1000), STALE)).toEqual({ kind: 'in-flight' })
        // exactly staleAfterMs old is not yet older than it
        expect(await store.claimRequestId('req-1', ms(T0, STALE), STALE)).toEqual({ kind: 'in-flight' })
      })

      it('takes over a stale claim and restarts its clock', async () => {
        const store = await open()
        await store.claimRequestId('req-1', new Date(T0), STALE)
        expect(await store.claimRequestId('req-1', ms(T0, STALE + 1), STALE)).toEqual({ kind: 'claimed' })
        // the takeover is itself a fresh claim
        expect(await store.claimRequestId('req-1', ms(T0, STALE + 2), STALE)).toEqual({ kind: 'in-flight' })
        expect((await harness.sql('SELECT claimed_at FROM request_ids'))[0]?.claimed_at)
          .toBe(ms(T0, STALE + 1).toISOString())
      })

      it('never takes over a done id, however old', async () => {
        const store = await open()
        await store.claimRequestId('req-1', new Date(T0), STALE)
        await store.saveReferral(referral('1', { requestId: 'req-1' }))
        expect(await store.claimRequestId('req-1', ms(T0, 10 * STALE), STALE))
          .toEqual({ kind: 'done', serviceRequestId: 'sr-1', taskId: 'task-1' })
      })

      it('releases an in-flight claim but never a done one', async () => {
        const store = await open()
        await store.claimRequestId('req-1', new Date(T0), STALE)
        await store.releaseRequestId('req-1')
        expect(await store.claimRequestId('req-1', ms(T0, 1), STALE)).toEqual({ kind: 'claimed' })

        await store.saveReferral(referral('2', { requestId: 'req-2' }))
        await store.releaseRequestId('req-2')
        expect(await store.claimRequestId('req-2', ms(T0, 1), STALE))
          .toEqual({ kind: 'done', serviceRequestId: 'sr-2', taskId: 'task-2' })
        // releasing an unknown id is harmless
        await expect(store.releaseRequestId('never-seen')).resolves.toBeUndefined()
      })

      it('shares claims between two stores on the same database', async () => {
        const a = await open()
        const b = await open()
        expect(await a.claimRequestId('req-1', new Date(T0), STALE)).toEqual({ kind: 'claimed' })
        expect(await b.claimRequestId('req-1', new Date(T0), STALE)).toEqual({ kind: 'in-flight' })
      })
    })
  })
}
