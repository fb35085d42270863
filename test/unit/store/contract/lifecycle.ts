import { describe, expect, it } from 'vitest'
import { storeFixture, T0, referral, type StoreHarness } from './harness.ts'

/** Opening, migrations, readiness and closing. */
export function describeLifecycleContract (harness: StoreHarness): void {
  describe('StoreLifecycle', () => {
    const { open } = storeFixture(harness)

    describe('opening', () => {
      it('runs migrations at open, once: reopening applies nothing more', async () => {
        const first = await open()
        const versions = await harness.sql('SELECT version FROM schema_migrations ORDER BY version')
        expect(versions.length).toBeGreaterThan(0)
        await first.close()
        await open()
        expect(await harness.sql('SELECT version FROM schema_migrations ORDER BY version')).toEqual(versions)
      })

      it('refuses a database whose schema is newer than it knows', async () => {
        const store = await open()
        await store.close()
        await harness.sql(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', '${T0}')`)
        await expect(harness.open()).rejects.toThrow(/newer/)
      })

      it('is not ready (ping false) while the schema is not the one it knows', async () => {
        const store = await open()
        expect(await store.ping()).toBe(true)
        // another instance applied a step this one does not know yet: this one must leave the load balancer
        await harness.sql(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', '${T0}')`)
        expect(await store.ping()).toBe(false)
      })

      it('keeps data across close and reopen', async () => {
        const first = await open()
        await first.claimRequestId('req-1', new Date(T0), 60_000)
        await first.saveReferral(referral('1', { requestId: 'req-1' }))
        await first.close()

        const second = await open()
        expect((await second.readResource('ServiceRequest', 'sr-1'))?.id).toBe('sr-1')
        expect((await second.searchTasks({ count: 10, offset: 0 })).total).toBe(1)
        expect(await second.listDeliveries({ limit: 10 })).toHaveLength(1)
        expect(await second.claimRequestId('req-1', new Date(T0), 60_000))
          .toEqual({ kind: 'done', serviceRequestId: 'sr-1', taskId: 'task-1' })
      })

      it('answers ping until closed, and close is idempotent', async () => {
        const store = await open()
        expect(await store.ping()).toBe(true)
        await store.close()
        expect(await store.ping()).toBe(false)
        await expect(store.close()).resolves.toBeUndefined()
      })
    })
  })
}
