import { describe, expect, it } from 'vitest'
import { referral, storeFixture, type StoreHarness } from './harness.ts'

/** Earlier referrals of the same person, by a keyed digest of the NHS number (duplicate links). */
export function describeDuplicateIndexContract (harness: StoreHarness): void {
  describe('DuplicateIndex', () => {
    const { open } = storeFixture(harness)

    it('finds the referrals stored with a patient key from an instant on, oldest first, with whose they are', async () => {
      const store = await open()
      await store.saveReferral({ ...referral('1', { lastUpdated: '2026-11-01T09:00:00.000Z', requesterOds: 'Y02720' }), patientKey: 'key-a' })
      const second = referral('2', { lastUpdated: '2026-12-01T09:00:00+01:00', owner: 'frimley' })
      await store.saveReferral({ ...second, task: { ...second.task, reference: 'WW-00000-0000A' }, patientKey: 'key-a' })
      await store.saveReferral({ ...referral('3', { lastUpdated: '2026-12-02T09:00:00.000Z' }), patientKey: 'key-b' })
      // a referral without an NHS number has no key and is never found
      await store.saveReferral(referral('4', { lastUpdated: '2026-12-02T09:00:00.000Z' }))

      expect(await store.referralsByPatientKey('key-a', '2026-10-01T00:00:00.000Z', 10)).toEqual([
        { serviceRequestId: 'sr-1', taskId: 'task-1', owner: 'north-east', requesterOds: 'Y02720', acceptedAt: '2026-11-01T09:00:00.000Z' },
        // accepted_at is the Task's lastUpdated, normalised to UTC
        { serviceRequestId: 'sr-2', taskId: 'task-2', owner: 'frimley', reference: 'WW-00000-0000A', acceptedAt: '2026-12-01T08:00:00.000Z' }
      ])
      // the window's start is inclusive, and given in any offset
      expect((await store.referralsByPatientKey('key-a', '2026-12-01T09:00:00+01:00', 10)).map((r) => r.taskId)).toEqual(['task-2'])
      expect(await store.referralsByPatientKey('key-a', '2026-12-01T08:00:00.001Z', 10)).toEqual([])
      expect((await store.referralsByPatientKey('key-b', '2026-01-01T00:00:00.000Z', 10)).map((r) => r.taskId)).toEqual(['task-3'])
      expect(await store.referralsByPatientKey('key-c', '2026-01-01T00:00:00.000Z', 10)).toEqual([])
    })

    it('keeps the latest `limit` when there are more, still oldest first, and refuses a negative limit', async () => {
      const store = await open()
      for (const n of [1, 2, 3, 4]) {
        await store.saveReferral({ ...referral(String(n), { lastUpdated: `2026-12-0${n}T09:00:00.000Z` }), patientKey: 'key-a' })
      }
      expect((await store.referralsByPatientKey('key-a', '2026-01-01T00:00:00.000Z', 2)).map((r) => r.taskId)).toEqual(['task-3', 'task-4'])
      expect((await store.referralsByPatientKey('key-a', '2026-12-02T00:00:00.000Z', 5)).map((r) => r.taskId)).toEqual(['task-2', 'task-3', 'task-4'])
      expect(await store.referralsByPatientKey('key-a', '2026-01-01T00:00:00.000Z', 0)).toEqual([])
      await expect(store.referralsByPatientKey('key-a', '2026-01-01T00:00:00.000Z', -1)).rejects.toThrow()
    })

    it('writes the key in the referral\'s transaction: a referral that fails to save leaves no key', async () => {
      const store = await open()
      await store.saveReferral({ ...referral('1'), patientKey: 'key-a' })
      // the same Task id again: the write fails as a whole
      await expect(store.saveReferral({ ...referral('1', { outboxId: 'out-other' }), patientKey: 'key-b' })).rejects.toThrow()
      expect(await store.referralsByPatientKey('key-b', '2026-01-01T00:00:00.000Z', 10)).toEqual([])
      expect(await store.referralsByPatientKey('key-a', '2026-01-01T00:00:00.000Z', 10)).toHaveLength(1)
    })
  })
}
