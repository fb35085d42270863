/**
 * The writer's cost per referral for a write-set variant: the real SQLite store (synchronous=FULL,
 * on disk), referrals saved 80 (or WRITER_GROUP) to a group commit on the calling thread, CPU time
 * of this process per referral. Variants change the schema or the rows, one lever at a time:
 *
 *   [WRITER_ROUNDS=5] [WRITER_GROUP=80] node bench/writer-micro.ts [referrals] [variant...]
 *
 * Variants: as-is, one-audit (one audit record per referral instead of one per resource),
 * no-<index> (that index dropped), without-rowid (the small tables keyed by their ids alone),
 * page-<bytes> (a file made with that page size; as-is has the store's own, 8 KiB). Rounds alternate the variants; the median of the rounds is printed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { openSqliteStore } from '../src/store/sqlite-store.ts'
import type { ReferralWrite } from '../src/store/store.ts'
import { timeOrderedIds } from '../src/time-ordered-id.ts'

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

async function run (variant: string, referrals: number, sr: string[], taskJson: string): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'workwell-writer-micro-'))
  try {
    const file = path.join(dir, 'w.sqlite')
    if (variant.startsWith('page-')) {
      // a file made with that page size before the store opens it: the store keeps a file's size
      const made = new DatabaseSync(file)
      made.exec(`PRAGMA page_size = ${Number(variant.slice(5))}; PRAGMA journal_mode = WAL; CREATE TABLE made (x); DROP TABLE made`)
      made.close()
    }
    const setup = await openSqliteStore({ file })
    await setup.close()
    const db = new DatabaseSync(file)
    if (variant.startsWith('no-')) db.exec(`DROP INDEX ${variant.slice(3)}`)
    if (variant === 'without-rowid') withoutRowid(db)
    db.close()
    const store = await openSqliteStore({ file })
    const newId = timeOrderedIds()
    const t0 = process.cpuUsage()
    for (let done = 0; done < referrals; done += GROUP) {
      const group: Array<Promise<void>> = []
      for (let i = 0; i < GROUP; i++) {
        const id = newId()
        const taskId = newId()
        const at = new Date().toISOString()
        const entities = [`ServiceRequest/${id}`, `Task/${taskId}`]
        const write: ReferralWrite = {
          resources: [
            { resourceType: 'ServiceRequest', id, versionId: '1', lastUpdated: at, resource: { resourceType: 'ServiceRequest', id } as never, json: sr[(done + i) % sr.length] ?? '{}' },
            { resourceType: 'Task', id: taskId, versionId: '1', lastUpdated: at, resource: { resourceType: 'Task', id: taskId } as never, json: taskJson }
          ],
          task: { id: taskId, basedOn: `ServiceRequest/${id}`, owner: 'birmingham-and-solihull', status: 'requested', lastUpdated: at, reference: `WW-${String(done + i).padStart(5, '0')}-AAAAA` },
          serviceRequestId: id,
          scope: { referralId: id, owner: 'birmingham-and-solihull', requesterOds: 'M85008' },
          outbox: { id: newId(), partnershipId: 'birmingham-and-solihull', serviceRequestId: id, taskId, createdAt: at },
          audit: (variant === 'one-audit' ? entities.slice(0, 1) : entities).map((entity) => ({ id: newId(), recorded: at, action: 'C', subtype: 'create', outcome: '0', agent: 'client/bench ods/M85008,A81001,B82001,C83001,D84001,E85001,F86001,G87001,H88001,J89001,K81001,L82001,M83001,N84001', entity, correlationId: newId() }))
        }
        group.push(store.saveReferral(write))
      }
      await Promise.all(group)
    }
    const used = process.cpuUsage(t0)
    await store.close()
    return Math.round((used.user + used.system) / referrals)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const [count, ...asked] = process.argv.slice(2)
const referrals = Number(count ?? 8000)
const variants = asked.length > 0 ? asked : ['as-is', 'one-audit']
const folder = path.join(REPO, 'fixtures/referrals')
const sr = readdirSync(folder).sort().map((p) => JSON.stringify(JSON.parse(readFileSync(path.join(folder, p, 'gp-referral.json'), 'utf8'))))
// a triage Task's size (~9 KB of JSON): its text matters, not its content
const taskJson = JSON.stringify({ resourceType: 'Task', note: 'x'.repeat(9000) })
const results = new Map<string, number[]>(variants.map((v) => [v, []]))
for (let round = 0; round < Number(process.env.WRITER_ROUNDS ?? 5); round++) {
  for (const v of round % 2 === 0 ? variants : [...variants].reverse()) results.get(v)?.push(await run(v, referrals, sr, taskJson))
}
for (const [v, us] of results) {
  const sorted = [...us].sort((a, b) => a - b)
  process.stdout.write(`${v}: ${sorted[Math.floor(sorted.length / 2)] ?? 0} µs CPU per referral (rounds ${us.join(', ')})\n`)
}
