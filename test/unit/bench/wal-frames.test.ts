import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { walFramesByBtree } from '../../../bench/wal-frames.ts'

describe('WAL frames by B-tree', () => {
  const dirs: string[] = []
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

  it('names the B-tree of every frame a commit wrote, and counts each frame once', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wal-frames-test-'))
    dirs.push(dir)
    const db = new DatabaseSync(path.join(dir, 'f.sqlite'))
    db.exec('PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0')
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, tag TEXT, body TEXT); CREATE INDEX notes_tag ON notes (tag); CREATE TABLE other (x)')
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    // one commit: a row in notes (its table and its index), nothing in other; a 10 KB body
    // spills into overflow pages of the table, and the file's growth rewrites page 1
    db.prepare('INSERT INTO notes (tag, body) VALUES (?, ?)').run('a', 'x'.repeat(10_000))
    const wal = readFileSync(path.join(dir, 'f.sqlite-wal'))
    const counts = walFramesByBtree(db, wal, 4096)
    const frames = (wal.length - 32) / (24 + 4096)
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(frames)
    expect(counts.get('notes:leaf')).toBe(1)
    expect(counts.get('notes:overflow')).toBe(2)
    expect(counts.get('notes_tag:leaf')).toBe(1)
    expect(counts.get('page 1')).toBe(1)
    expect([...counts.keys()].some((k) => k.startsWith('other'))).toBe(false)
    db.close()
  })
})
