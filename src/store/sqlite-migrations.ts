import type { DatabaseSync } from 'node:sqlite'
import { int } from './store-rows.ts'

/** One schema step. Versions only grow; a shipped migration is never edited, only followed. */
export interface Migration {
  version: number
  name: string
  sql: string
}

/**
 * The schema, in order. Instants are TEXT in the form 'YYYY-MM-DDTHH:mm:ss.sssZ' so that
 * string comparison is time order. Tables are STRICT so a wrong type fails the write
 * instead of being stored silently.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE resources (
        resource_type TEXT NOT NULL,
        id TEXT NOT NULL,
        version_id TEXT NOT NULL,
        last_updated TEXT NOT NULL,
        content TEXT NOT NULL CHECK (json_valid(content)),
        PRIMARY KEY (resource_type, id)
      ) STRICT;

      -- search columns of Task resources; the foreign key makes a Task index row without
      -- its Task resource impossible
      CREATE TABLE tasks (
        resource_type TEXT NOT NULL DEFAULT 'Task' CHECK (resource_type = 'Task'),
        id TEXT NOT NULL PRIMARY KEY,
        based_on TEXT NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        last_updated TEXT NOT NULL,
        FOREIGN KEY (resource_type, id) REFERENCES resources (resource_type, id)
      ) STRICT;
      CREATE INDEX tasks_last_updated ON tasks (last_updated, id);
      CREATE INDEX tasks_owner ON tasks (owner, last_updated, id);
      CREATE INDEX tasks_status ON tasks (status, last_updated, id);
      CREATE INDEX tasks_based_on ON tasks (based_on);

      CREATE TABLE outbox (
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
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
      CREATE INDEX outbox_created ON outbox (created_at, id);
      CREATE INDEX outbox_partnership ON outbox (partnership_id, created_at, id);

      CREATE TABLE audit_events (
        id TEXT NOT NULL PRIMARY KEY,
        recorded TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('C', 'R', 'U', 'D', 'E')),
        subtype TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('0', '4', '8', '12')),
        agent TEXT NOT NULL,
        entity TEXT NOT NULL,
        correlation_id TEXT
      ) STRICT;
      CREATE INDEX audit_events_recorded ON audit_events (recorded, id);
      CREATE INDEX audit_events_entity ON audit_events (entity);

      CREATE TABLE request_ids (
        request_id TEXT NOT NULL PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('in-flight', 'done')),
        service_request_id TEXT,
        task_id TEXT,
        claimed_at TEXT NOT NULL,
        CHECK (state = 'in-flight' OR (service_request_id IS NOT NULL AND task_id IS NOT NULL))
      ) STRICT;
    `
  },
  {
    version: 2,
    name: 'delivery circuit breakers',
    sql: `
      -- one row per partnership whose circuit a worker has moved; operators read it
      CREATE TABLE delivery_circuits (
        partnership_id TEXT NOT NULL PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half-open')),
        consecutive_failures INTEGER NOT NULL CHECK (consecutive_failures >= 0),
        opened_at TEXT,
        open_until TEXT,
        updated_at TEXT NOT NULL
      ) STRICT;

      -- the claim orders due rows by (next_attempt_at, created_at, id); with this index it
      -- reads the first rows in order instead of sorting every due row of a large backlog
      CREATE INDEX outbox_claim ON outbox (status, next_attempt_at, created_at, id);
    `
  },
  {
    version: 3,
    name: 'outbox kinds: BaRS response messages beside partnership referrals',
    sql: `
      -- existing rows are all partnership referrals; a BaRS response row carries the Task
      -- version it reports in payload, fixed when the row was written
      ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'referral' CHECK (kind IN ('referral', 'bars-response'));
      ALTER TABLE outbox ADD COLUMN payload TEXT CHECK (payload IS NULL OR json_valid(payload));
    `
  },
  {
    version: 4,
    name: 'drop outbox_due, a prefix of outbox_claim',
    sql: `
      -- (status, next_attempt_at) leads outbox_claim, so every query outbox_due served is
      -- served by outbox_claim; the copy cost a B-tree insert on each queued referral and an
      -- update on each delivery attempt (README "Performance": the write set)
      DROP INDEX IF EXISTS outbox_due;
    `
  },
  {
    version: 5,
    name: 'access scope on every stored resource',
    sql: `
      -- whose a resource is, written with it: its referral, that referral's practice (ODS code)
      -- and the partnership it was routed to. Reads and Task searches filter on these in the
      -- query itself, so what a caller may not see is never read, counted or paged.
      ALTER TABLE resources ADD COLUMN referral_id TEXT;
      ALTER TABLE resources ADD COLUMN requester_ods TEXT;
      ALTER TABLE resources ADD COLUMN owner TEXT;
      ALTER TABLE tasks ADD COLUMN requester_ods TEXT;
      CREATE INDEX tasks_requester ON tasks (requester_ods, last_updated, id);

      -- rows written before this step: the ODS code from the stored requester, the owner and
      -- referral from the Task's search row
      UPDATE tasks SET requester_ods = (
        SELECT upper(trim(json_extract(r.content, '$.requester.identifier.value'))) FROM resources r
        WHERE r.resource_type = 'Task' AND r.id = tasks.id
          AND json_extract(r.content, '$.requester.identifier.system') = 'https://fhir.nhs.uk/Id/ods-organization-code');
      UPDATE resources SET referral_id = substr(t.based_on, 16), owner = t.owner, requester_ods = t.requester_ods
        FROM tasks t WHERE resources.resource_type = 'Task' AND resources.id = t.id;
      UPDATE resources SET referral_id = resources.id, owner = t.owner, requester_ods = t.requester_ods
        FROM tasks t WHERE resources.resource_type IN ('ServiceRequest', 'MessageHeader') AND t.based_on = 'ServiceRequest/' || resources.id;
      -- a transaction's other resources were created by the same request as its ServiceRequest:
      -- their create records share the correlation id, the instant and the agent
      UPDATE resources SET referral_id = (
        SELECT substr(b.entity, 16) FROM audit_events a JOIN audit_events b
          ON b.correlation_id = a.correlation_id AND b.recorded = a.recorded AND b.agent = a.agent
          AND b.action = 'C' AND b.entity LIKE 'ServiceRequest/%'
        WHERE a.entity = resources.resource_type || '/' || resources.id AND a.action = 'C' LIMIT 1)
      WHERE resource_type IN ('Patient', 'Observation', 'Condition', 'Consent') AND referral_id IS NULL;
      UPDATE resources SET owner = s.owner, requester_ods = s.requester_ods
        FROM resources s WHERE s.resource_type = 'ServiceRequest' AND s.id = resources.referral_id
          AND resources.resource_type IN ('Patient', 'Observation', 'Condition', 'Consent');
    `
  },
  {
    version: 8,
    name: 'referral reference on the Task index',
    sql: `
      -- the human-readable reference (src/reference/) a GP reads out: Task?identifier= finds
      -- it; rows written before this step have none
      ALTER TABLE tasks ADD COLUMN reference TEXT;
      CREATE INDEX tasks_reference ON tasks (reference) WHERE reference IS NOT NULL;
    `
  },
  {
    version: 9,
    name: 'referral reference unique',
    sql: `
      -- one reference, one referral, as a guarantee of the database rather than of the
      -- generator (docs/referral-reference.md). A pair written before this step keeps its
      -- reference and stays findable; the later of the two is marked, so only new references
      -- are held unique.
      ALTER TABLE tasks ADD COLUMN reference_clash TEXT;
      UPDATE tasks SET reference_clash = id
        WHERE reference IS NOT NULL AND EXISTS (SELECT 1 FROM tasks o WHERE o.reference = tasks.reference AND o.id < tasks.id);
      CREATE UNIQUE INDEX tasks_reference_unique ON tasks (reference, coalesce(reference_clash, '')) WHERE reference IS NOT NULL;
      DROP INDEX tasks_reference;
    `
  },
  {
    version: 10,
    name: 'patient keys of referrals (duplicate links)',
    sql: `
      -- a keyed digest of the NHS number per referral, never the number
      -- (docs/decisions/duplicate-referrals.md); referrals stored before this step have none
      CREATE TABLE patient_keys (
        task_id TEXT NOT NULL PRIMARY KEY,
        patient_key TEXT NOT NULL,
        accepted_at TEXT NOT NULL,
        FOREIGN KEY (task_id) REFERENCES tasks (id)
      ) STRICT;
      CREATE INDEX patient_keys_lookup ON patient_keys (patient_key, accepted_at);
    `
  }
]

/**
 * Brings the database to the latest schema. All pending steps run in one IMMEDIATE
 * transaction, so two processes opening the same file at once cannot both apply a step,
 * and a failing step leaves the schema as it was. Reopening an up-to-date file changes
 * nothing.
 *
 * @param now stamped into schema_migrations.applied_at (bookkeeping only)
 * @returns the versions applied by this call
 * @throws Error when the file was written by a newer gateway (its schema is unknown here)
 */
export function runMigrations (db: DatabaseSync, now: Date, steps: readonly Migration[] = migrations): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`)

  db.exec('BEGIN IMMEDIATE')
  try {
    const row = db.prepare('SELECT coalesce(max(version), 0) AS version FROM schema_migrations').get()
    const current = row === undefined ? 0 : int(row, 'version')
    const latest = steps.reduce((max, step) => Math.max(max, step.version), 0)
    if (current > latest) {
      throw new Error(`database schema version ${current} is newer than this gateway knows (${latest})`)
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
    const applied: number[] = []
    for (const step of [...steps].sort((a, b) => a.version - b.version)) {
      if (step.version <= current) continue
      db.exec(step.sql)
      record.run(step.version, step.name, now.toISOString())
      applied.push(step.version)
    }
    db.exec('COMMIT')
    return applied
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK')
    throw err
  }
}
