/**
 * What one referral's commit writes to the WAL when it commits alone (as at a steady 500/s,
 * where group commits hold one referral), page by page: every page a transaction changes is
 * written whole, so each B-tree a referral touches costs at least one 8 KiB frame. Prints the
 * frames per commit for each write-set variant (bench/writer-micro.ts's levers), and by B-tree:
 *
 *   node bench/wal-frames.ts [variant...]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { openSqliteStore } from '../src/store/sqlite-store.ts'
import { timeOrderedIds } from '../src/time-ordered-id.ts'
import { benchPayloads, benchReferralWrite } from './bench-referral-write.ts'
import { applyLevers } from './writer-micro.ts'

/** WAL file header and frame header sizes (SQLite file format §4.1, §4.2). */
const WAL_HEADER = 32
const FRAME_HEADER = 24

/**
 * Frames in a WAL file, counted by what their page is now: "<btree>:<leaf|internal|overflow>"
 * from the dbstat table, "page 1" for the header page, "free" for a page no B-tree holds.
 *
 * @param db - a connection to the database whose WAL this is (dbstat reads through it)
 */
export function walFramesByBtree (db: DatabaseSync, wal: Buffer, pageSize: number): Map<string, number> {
  const owners = new Map<number, string>()
  for (const row of db.prepare('SELECT name, pageno, pagetype FROM dbstat').all()) owners.set(Number(row.pageno), `${String(row.name)}:${String(row.pagetype)}`)
  const counts = new Map<string, number>()
  for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.length; at += FRAME_HEADER + pageSize) {
    const page = wal.readUInt32BE(at)
    const owner = page === 1 ? 'page 1' : (owners.get(page) ?? 'free')
    counts.set(owner, (counts.get(owner) ?? 0) + 1)
  }
  return counts
}

/** Frames per lone commit of a variant, total and by B-tree, after `warm` referrals gave the B-trees depth. */
async function measure (variant: string, commits: number, warm: number): Promise<{ total: number, byBtree: Map<string, number> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'workwell-wal-frames-'))
  try {
    const file = path.join(dir, 'w.sqlite')
    const levers = variant.split('+')
    await applyLevers(file, levers)
    const store = await openSqliteStore({ file })
    const probe = new DatabaseSync(file)
    try {
      const newId = timeOrderedIds()
      const payloads = benchPayloads(path.resolve(import.meta.dirname, '..'))
      for (let i = 0; i < warm + commits; i++) {
        // an empty WAL before the measured commits: every frame after it is theirs
        if (i === warm) probe.exec('PRAGMA wal_checkpoint(TRUNCATE)')
        await store.saveReferral(benchReferralWrite(newId, i, payloads, levers.includes('one-audit')))
      }
      const pageSize = Number(probe.prepare('PRAGMA page_size').get()?.page_size)
      const byBtree = walFramesByBtree(probe, readFileSync(`${file}-wal`), pageSize)
      const total = [...byBtree.values()].reduce((a, b) => a + b, 0)
      return { total: total / commits, byBtree: new Map([...byBtree].map(([k, n]) => [k, n / commits])) }
    } finally {
      probe.close()
      await store.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const variants = process.argv.length > 2 ? process.argv.slice(2) : ['as-is']
  for (const variant of variants) {
    // 100 lone commits stay well under the writer's automatic checkpoint (~40 MB of WAL)
    const { total, byBtree } = await measure(variant, 100, 300)
    process.stdout.write(`${variant}: ${total.toFixed(1)} WAL frames per lone commit\n`)
    for (const [owner, n] of [...byBtree].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${n.toFixed(2).padStart(6)}  ${owner}\n`)
  }
}
