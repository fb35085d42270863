import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { patientKey } from '../../../src/intake/duplicate-referrals.ts'
import { patientKeyFilter } from '../../../src/store/patient-key-filter.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import { openThreadedSqliteStore } from '../../../src/store/threaded-sqlite-store.ts'
import { referral } from './contract/index.ts'

const key = (n: number): string => patientKey(String(9_000_000_000 + n), 'test-key')

describe('patientKeyFilter', () => {
  it('never says no to a key it was given, and says no to almost every other', () => {
    const filter = patientKeyFilter('2026-01-01T00:00:00.000Z')
    for (let n = 0; n < 20_000; n++) filter.add(key(n), '2026-12-01T00:00:00.000Z')
    for (let n = 0; n < 20_000; n++) expect(filter.mayHave(key(n), '2026-11-01T00:00:00.000Z')).toBe(true)
    let falseMaybes = 0
    for (let n = 20_000; n < 120_000; n++) if (filter.mayHave(key(n), '2026-11-01T00:00:00.000Z')) falseMaybes++
    expect(falseMaybes).toBeLessThan(10)
  })

  it('sends any lookup reaching back before what it was filled from to the database', () => {
    const filter = patientKeyFilter('2026-11-08T00:00:00.000Z')
    expect(filter.mayHave(key(1), '2026-11-07T23:59:59.999Z')).toBe(true)
    expect(filter.mayHave(key(1), '2026-11-08T00:00:00.000Z')).toBe(false)
  })

  it('after two rotations, forgets the oldest generation and answers maybe for lookups reaching back into it', () => {
    // capacity 2: keys 0,1 | 2,3 | 4 — the first generation is dropped when key 4 arrives
    const filter = patientKeyFilter('2026-01-01T00:00:00.000Z', 2, 1 << 16)
    for (let n = 0; n < 5; n++) filter.add(key(n), `2026-12-0${n + 1}T00:00:00.000Z`)
    // still held: 2, 3 (previous) and 4 (current)
    for (const n of [2, 3, 4]) expect(filter.mayHave(key(n), '2026-12-03T00:00:00.000Z')).toBe(true)
    // key 1 was accepted 2026-12-02 and is forgotten: a lookup from then on may be it
    expect(filter.mayHave(key(1), '2026-12-02T00:00:00.000Z')).toBe(true)
    expect(filter.mayHave(key(99), '2026-12-02T00:00:00.000Z')).toBe(true)
    // a lookup only from after the forgotten keys can be answered no
    expect(filter.mayHave(key(99), '2026-12-02T00:00:00.001Z')).toBe(false)
  })
})

describe('the threaded SQLite store\'s filter', () => {
  let dir: string | undefined
  afterEach(() => { if (dir !== undefined) rmSync(dir, { recursive: true, force: true }) })

  it('is filled at open from the keys in the window, so a referral stored before a restart is still found', async () => {
    dir = mkdtempSync(join(tmpdir(), 'workwell-filter-'))
    const file = join(dir, 'gateway.sqlite')
    const before = await openSqliteStore({ file })
    await before.saveReferral({ ...referral('1', { lastUpdated: '2026-12-01T09:00:00.000Z' }), patientKey: 'key-a' })
    await before.saveReferral({ ...referral('2', { lastUpdated: '2026-10-01T09:00:00.000Z' }), patientKey: 'key-old' })
    await before.close()

    const store = await openThreadedSqliteStore({ file, duplicateWindowDays: 28, openedAt: new Date('2026-12-06T00:00:00.000Z') })
    try {
      expect((await store.referralsByPatientKey('key-a', '2026-11-08T00:00:00.000Z', 5)).map((r) => r.taskId)).toEqual(['task-1'])
      // older than the window it was filled from: not in the filter, but a lookup reaching back that far reads
      expect((await store.referralsByPatientKey('key-old', '2026-09-01T00:00:00.000Z', 5)).map((r) => r.taskId)).toEqual(['task-2'])
      expect(await store.referralsByPatientKey('key-b', '2026-11-08T00:00:00.000Z', 5)).toEqual([])
      await store.saveReferral({ ...referral('3', { lastUpdated: '2026-12-06T09:00:00.000Z' }), patientKey: 'key-b' })
      expect((await store.referralsByPatientKey('key-b', '2026-11-08T00:00:00.000Z', 5)).map((r) => r.taskId)).toEqual(['task-3'])
      // the filter is what answers: a key written behind this store's back (which the SQLite
      // deployment rules out: one process writes the file) is not read for
      await store.saveReferral(referral('4', { lastUpdated: '2026-12-06T10:00:00.000Z' }))
      const side = new DatabaseSync(file)
      side.exec("INSERT INTO patient_keys (task_id, patient_key, accepted_at) VALUES ('task-4', 'key-behind', '2026-12-06T10:00:00.000Z')")
      side.close()
      expect(await store.referralsByPatientKey('key-behind', '2026-11-08T00:00:00.000Z', 5)).toEqual([])
      // a lookup reaching back before what the filter was filled from still reads
      expect((await store.referralsByPatientKey('key-behind', '2026-11-01T00:00:00.000Z', 5)).map((r) => r.taskId)).toEqual(['task-4'])
    } finally {
      await store.close()
    }
  })
})
