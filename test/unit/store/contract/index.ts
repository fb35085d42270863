import { describe } from 'vitest'
import { describeAuditContract } from './audit.ts'
import { describeCircuitContract } from './circuits.ts'
import { describeDuplicateIndexContract } from './duplicates.ts'
import type { StoreHarness } from './harness.ts'
import { describeLifecycleContract } from './lifecycle.ts'
import { describeOutboxContract } from './outbox.ts'
import { describeRequestIdContract } from './request-ids.ts'
import { describeResourceContract } from './resources.ts'
import { describeRetentionContract } from './retention.ts'

export { referral, T0, type StoreHarness } from './harness.ts'

/**
 * Every store contract, one per interface of src/store/store.ts: each Store implementation
 * runs exactly these cases (sqlite-store.test.ts for both SQLite stores, pg-store.test.ts).
 */
export function describeStoreContract (name: string, harness: StoreHarness): void {
  describe(`Store contract: ${name}`, () => {
    describeLifecycleContract(harness)
    describeResourceContract(harness)
    describeDuplicateIndexContract(harness)
    describeRequestIdContract(harness)
    describeAuditContract(harness)
    describeOutboxContract(harness)
    describeCircuitContract(harness)
    describeRetentionContract(harness)
  })
}
