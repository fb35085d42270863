import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openSqliteDatabase } from '../../../src/store/sqlite-database.ts'
import { migrations, runMigrations } from '../../../src/store/sqlite-migrations.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import type { Store } from '../../../src/store/store.ts'
import { openThreadedSqliteStore } from '../../../src/store/threaded-sqlite-store.ts'
import { describeStoreContract, referral, T0, type StoreHarness } from './contract/index.ts'

let contractDir: string | undefined

// the threaded store with its patient-key filter on, so every duplicate lookup of the contract goes through it
const threadedWithFilter = async (o: { file: string }): Promise<Store> => openThreadedSqliteStore({ ...o, duplicateWindowDays: 3650 })
for (const [name, openStore] of [['SQLite', openSqliteStore], ['SQLite, writes on a writer thread', threadedWithFilter]] as const) {
  describeStoreContract(name, sqliteHarness(openStore))
}

function sqliteHarness (openStore: (options: { file: string }) => Promise<Store>): StoreHarness {
  return {
    async fresh () {
      contractDir = mkdtempSync(join(tmpdir(), 'workwell-store-'))
    },
    async open () {
      if (contractDir === undefined) throw new Error('fresh() first')
      return openStore({ file: join(contractDir, 'data', 'gateway.sqlite') })
    },
    async sql (text) {
      if (contractDir === undefined) throw new Error('fresh() first')
      const db = new DatabaseSync(join(contractDir, 'data', 'gateway.sqlite'))
      try {
        const statement = db.prepare(text)
        return statement.columns().length === 0 ? (statement.run(), []) : statement.all().map((r) => ({ ...r }))
      } finally {
        db.close()
      }
    },
    async dispose () {
      if (contractDir !== undefined) rmSync(contractDir, { recursive: true, force: true })
      contractDir = undefined
    }
  }
}

describe('SQLite specifics', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'workwell-sqlite-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('creates the parent folder and configures WAL, synchronous FULL, foreign keys, 8 KiB pages, checkpoints and the busy timeout', () => {
    const file = join(dir, 'a', 'b', 'c.sqlite')
    const db = openSqliteDatabase(file, 1234)
    try {
      expect(existsSync(join(dir, 'a', 'b'))).toBe(true)
      expect(db.prepare('PRAGMA journal_mode').get()?.journal_mode).toBe('wal')
      expect(db.prepare('PRAGMA synchronous').get()?.synchronous).toBe(2) // FULL
      expect(db.prepare('PRAGMA foreign_keys').get()?.foreign_keys).toBe(1)
      expect(db.prepare('PRAGMA busy_timeout').get()?.timeout).toBe(1234)
      expect(db.prepare('PRAGMA page_size').get()?.page_size).toBe(8192)
      // ~40 MB of WAL in the file's pages
      expect(db.prepare('PRAGMA wal_autocheckpoint').get()?.wal_autocheckpoint).toBe(5120)
    } finally {
      db.close()
    }
  })

  it('keeps the page size of a file made before 8 KiB pages, and checkpoints it at the same WAL size', async () => {
    const file = join(dir, 'old.sqlite')
    const old = new DatabaseSync(file)
    old.exec('PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x)')
    old.close()
    const db = openSqliteDatabase(file)
    try {
      expect(db.prepare('PRAGMA page_size').get()?.page_size).toBe(4096)
      expect(db.prepare('PRAGMA wal_autocheckpoint').get()?.wal_autocheckpoint).toBe(10240)
    } finally {
      db.close()
    }
    // and the store opens it, migrates it and writes to it
    const store = await openSqliteStore({ file })
    try {
      expect(await store.ping()).toBe(true)
    } finally {
      await store.close()
    }
  })

  it('leaves the store file in WAL mode', async () => {
    const file = join(dir, 'gateway.sqlite')
    const store = await openSqliteStore({ file })
    await store.close()
    // journal_mode=WAL is persistent: another connection sees it without setting it
    const db = new DatabaseSync(file, { readOnly: true })
    try {
      expect(db.prepare('PRAGMA journal_mode').get()?.journal_mode).toBe('wal')
    } finally {
      db.close()
    }
  })

  it('applies every migration step once, in one call', () => {
    const db = new DatabaseSync(join(dir, 'm.sqlite'))
    try {
      expect(runMigrations(db, new Date(T0))).toEqual(migrations.map((m) => m.version))
      expect(runMigrations(db, new Date(T0))).toEqual([])
    } finally {
      db.close()
    }
  })

  it('serves the outbox\'s status queries from outbox_claim once the redundant outbox_due is gone', async () => {
    const file = join(dir, 'plan.sqlite')
    const store = await openSqliteStore({ file })
    await store.close()
    const db = new DatabaseSync(file, { readOnly: true })
    try {
      const indexes = db.prepare('SELECT name FROM sqlite_master WHERE type = \'index\' AND tbl_name = \'outbox\' AND sql IS NOT NULL ORDER BY name').all().map((r) => r.name)
      expect(indexes).toEqual(['outbox_claim', 'outbox_created', 'outbox_partnership'])
      const plan = (sql: string): string => db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => String(r.detail)).join('; ')
      // the claim's inner select and the depth gauge: an index search, never a scan of the table
      expect(plan(`SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= '${T0}'
        ORDER BY next_attempt_at, created_at, id LIMIT 10`)).toMatch(/^SEARCH outbox USING (COVERING )?INDEX outbox_claim \(status=\? AND next_attempt_at<\?\)$/)
      expect(plan('SELECT count(*) FROM outbox WHERE status = \'pending\'')).toMatch(/USING COVERING INDEX outbox_claim \(status=\?\)/)
    } finally {
      db.close()
    }
  })

  it('works in memory', async () => {
    const store = await openSqliteStore({ file: ':memory:' })
    try {
      await store.saveReferral(referral('1'))
      expect((await store.readResource('Task', 'task-1'))?.id).toBe('task-1')
    } finally {
      await store.close()
    }
  })
})

describe('the threaded SQLite store', () => {
  it('refuses an in-memory database, whose reader and writer would be two databases', async () => {
    for (const file of [':memory:', '', 'file::memory:?cache=shared']) {
      await expect(openThreadedSqliteStore({ file })).rejects.toThrow(/needs a database file/)
    }
  })
})
