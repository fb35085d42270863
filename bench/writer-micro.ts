/**
 * The writer's cost per referral for a write-set variant: the real SQLite store (synchronous=FULL,
 * on disk), referrals saved 80 (or WRITER_GROUP) to a group commit on the calling thread, CPU time
 * of this process per referral. Variants change the schema or the rows, one lever at a time:
 *
 *   [WRITER_ROUNDS=5] [WRITER_GROUP=80] node bench/writer-micro.ts [referrals] [variant...]
 *
 * Variants: as-is, one-audit (one audit record per referral instead of one per resource),
 * no-<index> (that index dropped), no-secondary-indexes (every index but the keys' own),
 * without-rowid (the small tables keyed by their ids alone), page-<bytes> (a file made with
 * that page size; as-is has the store's own, 8 KiB), or several joined by '+'. Rounds
 * alternate the variants; the median of the rounds is printed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { openSqliteStore } from '../src/store/sqlite-store.ts'
import { timeOrderedIds } from '../src/time-ordered-id.ts'
import { benchPayloads, benchReferralWrite, type BenchPayloads } from './bench-referral-write.ts'

const REPO = path.resolve(import.meta.dirname, '..')
const GROUP = Number(process.env.WRITER_GROUP ?? 80)

/**
 * The small tables (search, outbox, audit and request-id rows) rebuilt WITHOUT ROWID from their
 * own schema: one B-tree each instead of the rows by rowid plus the TEXT key's own index, with
 * the same columns, checks, keys and indexes. Measured and not adopted.
 */
function withoutRowid (db: DatabaseSync): void {
  const sqlOf = (type: string, table: string): string[] => db.prepare('SELECT sql FROM sqlite_master WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL')
    .all(type, table).map((r) => String(r.sql))
  for (const table of ['tasks', 'outbox', 'audit_events', 'request_ids']) {
    const [create] = sqlOf('table', table)
    const indexes = sqlOf('index', table)
    if (create === undefined) throw new Error(`no table ${table}`)
    db.exec(`${create.replace(/^CREATE TABLE "?\w+"?/, `CREATE TABLE ${table}_keyed`)}, WITHOUT ROWID`)
    db.exec(`INSERT INTO ${table}_keyed SELECT * FROM ${table}; DROP TABLE ${table}; ALTER TABLE ${table}_keyed RENAME TO ${table}`)
    for (const index of indexes) db.exec(index)
  }
}

/**
 * Makes the store's file at `file` with the levers applied: a page size before the store
 * creates it, indexes dropped and tables rebuilt after.
 */
export async function applyLevers (file: string, levers: readonly string[]): Promise<void> {
  // a misspelt lever would otherwise measure the store as it is under another name
  const unknown = levers.filter((l) => !['as-is', 'one-audit', 'without-rowid', 'no-secondary-indexes'].includes(l) && !/^(no-\w+|page-\d+)$/.test(l))
  if (unknown.length > 0) throw new Error(`unknown write-set lever: ${unknown.join(', ')}`)
  const page = levers.find((l) => l.startsWith('page-'))
  if (page !== undefined) {
    // a file made with that page size before the store opens it: the store keeps a file's size
    const made = new DatabaseSync(file)
    made.exec(`PRAGMA page_size = ${Number(page.slice(5))}; PRAGMA journal_mode = WAL; CREATE TABLE made (x); DROP TABLE made`)
    made.close()
  }
  const setup = await openSqliteStore({ file })
  await setup.close()
  const db = new DatabaseSync(file)
  try {
    for (const lever of levers) {
      if (lever === 'no-secondary-indexes') {
        for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all()) db.exec(`DROP INDEX ${String(name)}`)
      } else if (lever.startsWith('no-')) {
        db.exec(`DROP INDEX ${lever.slice(3)}`)
      }
      if (lever === 'without-rowid') withoutRowid(db)
    }
  } finally {
    db.close()
  }
}

async function run (variant: string, referrals: number, payloads: BenchPayloads): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'workwell-writer-micro-'))
  try {
    const file = path.join(dir, 'w.sqlite')
    await applyLevers(file, variant.split('+'))
    const store = await openSqliteStore({ file })
    const newId = timeOrderedIds()
    const t0 = process.cpuUsage()
    for (let done = 0; done < referrals; done += GROUP) {
      const group: Array<Promise<void>> = []
      for (let i = 0; i < GROUP; i++) group.push(store.saveReferral(benchReferralWrite(newId, done + i, payloads, variant.split('+').includes('one-audit'))))
      await Promise.all(group)
    }
    const used = process.cpuUsage(t0)
    await store.close()
    return Math.round((used.user + used.system) / referrals)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const [count, ...asked] = process.argv.slice(2)
  const referrals = Number(count ?? 8000)
  const variants = asked.length > 0 ? asked : ['as-is', 'one-audit']
  const payloads = benchPayloads(REPO)
  const results = new Map<string, number[]>(variants.map((v) => [v, []]))
  for (let round = 0; round < Number(process.env.WRITER_ROUNDS ?? 5); round++) {
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) results.get(v)?.push(await run(v, referrals, payloads))
  }
  for (const [v, us] of results) {
    const sorted = [...us].sort((a, b) => a - b)
    process.stdout.write(`${v}: ${sorted[Math.floor(sorted.length / 2)] ?? 0} µs CPU per referral (rounds ${us.join(', ')})\n`)
  }
}
