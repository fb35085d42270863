/**
 * The writer's cost per referral for a write-set variant: the real SQLite store (synchronous=FULL,
 * on disk), referrals saved 80 to a group commit on the calling thread, CPU time of this process
 * per referral. Variants change the schema or the rows, one lever at a time:
 *
 *   [WRITER_ROUNDS=5] node bench/writer-micro.ts [referrals] [variant...]
 *
 * Variants: as-is, one-audit (one audit record per referral instead of one per resource),
 * no-<index> (that index dropped), without-rowid (the small tables keyed by their ids alone). Rounds alternate the variants; the median of the rounds is printed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { openSqliteStore } from '../src/store/sqlite-store.ts'
import type { ReferralWrite } from '../src/store/store.ts'
import { timeOrderedIds } from '../src/time-ordered-id.ts'

const REPO = path.resolve(import.meta.dirname, '..')
const GROUP = 80

/**
 * The small tables (search, outbox, audit and request-id rows) rebuilt WITHOUT ROWID: one B-tree
 * each instead of the rows by rowid plus the TEXT key's own index. Measured and not adopted.
 */
const WITHOUT_ROWID = `
      -- a rowid table with a TEXT primary key is two B-trees (the rows by rowid, and the key's
      -- own index), so each insert writes both; keyed by the id alone it is one. Only the small
      -- rows (search, outbox, audit and request-id rows, ~100-300 B) move: the resources
      -- table keeps its rowid, as multi-kilobyte rows belong in a rowid table (SQLite's
      -- "WITHOUT ROWID optimization" guidance). Same columns, checks, keys and indexes.
      CREATE TABLE tasks_keyed (
        resource_type TEXT NOT NULL DEFAULT 'Task' CHECK (resource_type = 'Task'),
        id TEXT NOT NULL PRIMARY KEY,
        based_on TEXT NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        last_updated TEXT NOT NULL,
        requester_ods TEXT,
        reference TEXT,
        FOREIGN KEY (resource_type, id) REFERENCES resources (resource_type, id)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO tasks_keyed (resource_type, id, based_on, owner, status, last_updated, requester_ods, reference)
        SELECT resource_type, id, based_on, owner, status, last_updated, requester_ods, reference FROM tasks;
      DROP TABLE tasks;
      ALTER TABLE tasks_keyed RENAME TO tasks;
      CREATE INDEX tasks_last_updated ON tasks (last_updated, id);
      CREATE INDEX tasks_owner ON tasks (owner, last_updated, id);
      CREATE INDEX tasks_status ON tasks (status, last_updated, id);
      CREATE INDEX tasks_based_on ON tasks (based_on);
      CREATE INDEX tasks_requester ON tasks (requester_ods, last_updated, id);
      CREATE INDEX tasks_reference ON tasks (reference) WHERE reference IS NOT NULL;

      CREATE TABLE outbox_keyed (
        id TEXT NOT NULL PRIMARY KEY,
        partnership_id TEXT NOT NULL,
        service_request_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead-letter')),
        attempts INTEGER NOT NULL CHECK (attempts >= 0),
        next_attempt_at TEXT NOT NULL,
        lease_until TEXT,
        last_error TEXT,
        last_response_status INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'referral' CHECK (kind IN ('referral', 'bars-response')),
        payload TEXT CHECK (payload IS NULL OR json_valid(payload))
      ) STRICT, WITHOUT ROWID;
      INSERT INTO outbox_keyed (id, partnership_id, service_request_id, task_id, status, attempts, next_attempt_at, lease_until, last_error, last_response_status, created_at, updated_at, kind, payload)
        SELECT id, partnership_id, service_request_id, task_id, status, attempts, next_attempt_at, lease_until, last_error, last_response_status, created_at, updated_at, kind, payload FROM outbox;
      DROP TABLE outbox;
      ALTER TABLE outbox_keyed RENAME TO outbox;
      CREATE INDEX outbox_created ON outbox (created_at, id);
      CREATE INDEX outbox_partnership ON outbox (partnership_id, created_at, id);
      CREATE INDEX outbox_claim ON outbox (status, next_attempt_at, created_at, id);

      CREATE TABLE audit_events_keyed (
        id TEXT NOT NULL PRIMARY KEY,
        recorded TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('C', 'R', 'U', 'D', 'E')),
        subtype TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('0', '4', '8', '12')),
        agent TEXT NOT NULL,
        entity TEXT NOT NULL,
        correlation_id TEXT
      ) STRICT, WITHOUT ROWID;
      INSERT INTO audit_events_keyed (id, recorded, action, subtype, outcome, agent, entity, correlation_id)
        SELECT id, recorded, action, subtype, outcome, agent, entity, correlation_id FROM audit_events;
      DROP TABLE audit_events;
      ALTER TABLE audit_events_keyed RENAME TO audit_events;
      CREATE INDEX audit_events_recorded ON audit_events (recorded, id);
      CREATE INDEX audit_events_entity ON audit_events (entity);

      CREATE TABLE request_ids_keyed (
        request_id TEXT NOT NULL PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('in-flight', 'done')),
        service_request_id TEXT,
        task_id TEXT,
        claimed_at TEXT NOT NULL,
        CHECK (state = 'in-flight' OR (service_request_id IS NOT NULL AND task_id IS NOT NULL))
      ) STRICT, WITHOUT ROWID;
      INSERT INTO request_ids_keyed (request_id, state, service_request_id, task_id, claimed_at)
        SELECT request_id, state, service_request_id, task_id, claimed_at FROM request_ids;
      DROP TABLE request_ids;
      ALTER TABLE request_ids_keyed RENAME TO request_ids;
    `

async function run (variant: string, referrals: number, sr: string[], taskJson: string): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'workwell-writer-micro-'))
  try {
    const file = path.join(dir, 'w.sqlite')
    const setup = await openSqliteStore({ file })
    await setup.close()
    const db = new DatabaseSync(file)
    if (variant.startsWith('no-')) db.exec(`DROP INDEX ${variant.slice(3)}`)
    if (variant === 'without-rowid') db.exec(WITHOUT_ROWID)
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
