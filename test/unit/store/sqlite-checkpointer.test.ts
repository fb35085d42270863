import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openSqliteDatabase } from '../../../src/store/sqlite-database.ts'
import { startCheckpointer } from '../../../src/store/sqlite-checkpointer.ts'
import { until } from '../../helpers/until.ts'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

/** A WAL database whose own connection never checkpoints, holding ~2 MB of committed rows. */
function walWithFrames (): { file: string, close: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'workwell-ckpt-'))
  dirs.push(dir)
  const file = path.join(dir, 'db.sqlite')
  const db = openSqliteDatabase(file)
  db.exec('PRAGMA wal_autocheckpoint = 0')
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)')
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)')
  for (let i = 0; i < 500; i++) insert.run('x'.repeat(4000))
  return { file, close: () => { db.close() } }
}

describe('startCheckpointer', () => {
  it('copies committed WAL frames into the database file from its own thread', async () => {
    const { file, close } = walWithFrames()
    try {
      const before = statSync(file).size
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(1_000_000)
      const checkpointer = await startCheckpointer(file, 20)
      try {
        await until(() => statSync(file).size > before + 1_000_000, 5000, 'the WAL to be copied into the database file')
        expect(await checkpointer.runs()).toBeGreaterThan(0)
      } finally {
        await checkpointer.close()
      }
    } finally {
      close()
    }
  })

  it('leaves the file alone when it is stopped before its first turn, and stops cleanly', async () => {
    const { file, close } = walWithFrames()
    try {
      const before = statSync(file).size
      const checkpointer = await startCheckpointer(file, 60_000)
      await checkpointer.close()
      expect(statSync(file).size).toBe(before)
    } finally {
      close()
    }
  })
})
