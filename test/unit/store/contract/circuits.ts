import { describe, expect, it } from 'vitest'
import { storeFixture, T0, ms, type StoreHarness } from './harness.ts'

/** Circuit-breaker state shared between instances. */
export function describeCircuitContract (harness: StoreHarness): void {
  describe('CircuitStore', () => {
    const { open } = storeFixture(harness)

    describe('circuits', () => {
      it('upserts and lists circuit-breaker state', async () => {
        const store = await open()
        await store.saveCircuit({ partnershipId: 'south-west', state: 'open', consecutiveFailures: 5, openedAt: T0, openUntil: ms(T0, 30_000).toISOString(), updatedAt: T0 })
        await store.saveCircuit({ partnershipId: 'north-east', state: 'closed', consecutiveFailures: 0, updatedAt: T0 })
        await store.saveCircuit({ partnershipId: 'south-west', state: 'closed', consecutiveFailures: 0, openedAt: T0, updatedAt: ms(T0, 40_000).toISOString() })
        expect(await store.listCircuits()).toEqual([
          { partnershipId: 'north-east', state: 'closed', consecutiveFailures: 0, updatedAt: T0 },
          { partnershipId: 'south-west', state: 'closed', consecutiveFailures: 0, openedAt: T0, updatedAt: ms(T0, 40_000).toISOString() }
        ])
      })
    })
  })
}
