import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openPgStore } from '../../../src/store/pg-store.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import type { Store } from '../../../src/store/store.ts'
import { openThreadedSqliteStore } from '../../../src/store/threaded-sqlite-store.ts'
import { dropSchema, pgUnavailable, TEST_DATABASE_URL, testSchemaName } from '../../helpers/postgres.ts'
import { referral } from './store-contract.ts'

const unavailable = await pgUnavailable()
if (unavailable !== undefined) process.stdout.write(`duplicate-index.test.ts: PostgreSQL case skipped: ${unavailable}\n`)

interface Kind { name: string, open: () => Promise<{ store: Store, dispose: () => Promise<void> }> }

const kinds: Kind[] = [
  { name: 'SQLite', open: async () => ({ store: await openSqliteStore({ file: ':memory:' }), dispose: async () => undefined }) },
  {
    name: 'threaded SQLite',
    open: async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'workwell-keys-'))
      return { store: await openThreadedSqliteStore({ file: path.join(dir, 'gateway.db') }), dispose: async () => { rmSync(dir, { recursive: true, force: true }) } }
    }
  },
  ...(unavailable === undefined
    ? [{
        name: 'PostgreSQL',
        open: async () => {
          const schema = testSchemaName()
          return { store: await openPgStore({ connectionString: TEST_DATABASE_URL, schema }), dispose: async () => { await dropSchema(schema) } }
        }
      }]
    : [])
]

describe.each(kinds)('DuplicateIndex ($name)', ({ open }) => {
  let opened: { store: Store, dispose: () => Promise<void> } | undefined
  afterEach(async () => {
    await opened?.store.close()
    await opened?.dispose()
    opened = undefined
  })

  it('finds the referrals stored with a patient key from an instant on, oldest first, with whose they are', async () => {
    opened = await open()
    const { store } = opened
    await store.saveReferral({ ...referral('1', { lastUpdated: '2026-11-01T09:00:00.000Z', requesterOds: 'Y02720' }), patientKey: 'key-a' })
    const second = referral('2', { lastUpdated: '2026-12-01T09:00:00+01:00', owner: 'frimley' })
    await store.saveReferral({ ...second, task: { ...second.task, reference: 'WW-00000-0000A' }, patientKey: 'key-a' })
    await store.saveReferral({ ...referral('3', { lastUpdated: '2026-12-02T09:00:00.000Z' }), patientKey: 'key-b' })
    // a referral without an NHS number has no key and is never found
    await store.saveReferral(referral('4', { lastUpdated: '2026-12-02T09:00:00.000Z' }))

    expect(await store.referralsByPatientKey('key-a', '2026-10-01T00:00:00.000Z')).toEqual([
      { serviceRequestId: 'sr-1', taskId: 'task-1', owner: 'north-east', requesterOds: 'Y02720', acceptedAt: '2026-11-01T09:00:00.000Z' },
      // accepted_at is the Task's lastUpdated, normalised to UTC
      { serviceRequestId: 'sr-2', taskId: 'task-2', owner: 'frimley', reference: 'WW-00000-0000A', acceptedAt: '2026-12-01T08:00:00.000Z' }
    ])
    // the window's start is inclusive, and given in any offset
    expect((await store.referralsByPatientKey('key-a', '2026-12-01T09:00:00+01:00')).map((r) => r.taskId)).toEqual(['task-2'])
    expect(await store.referralsByPatientKey('key-a', '2026-12-01T08:00:00.001Z')).toEqual([])
    expect((await store.referralsByPatientKey('key-b', '2026-01-01T00:00:00.000Z')).map((r) => r.taskId)).toEqual(['task-3'])
    expect(await store.referralsByPatientKey('key-c', '2026-01-01T00:00:00.000Z')).toEqual([])
  })

  it('writes the key in the referral\'s transaction: a referral that fails to save leaves no key', async () => {
    opened = await open()
    const { store } = opened
    await store.saveReferral({ ...referral('1'), patientKey: 'key-a' })
    // the same Task id again: the write fails as a whole
    await expect(store.saveReferral({ ...referral('1', { outboxId: 'out-other' }), patientKey: 'key-b' })).rejects.toThrow()
    expect(await store.referralsByPatientKey('key-b', '2026-01-01T00:00:00.000Z')).toEqual([])
    expect(await store.referralsByPatientKey('key-a', '2026-01-01T00:00:00.000Z')).toHaveLength(1)
  })
})
