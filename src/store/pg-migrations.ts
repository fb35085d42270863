import type { PoolClient } from 'pg'
import type { Migration } from './sqlite-migrations.ts'

/**
 * The PostgreSQL schema, step for step the same tables as sqlite-migrations.ts so that both
 * stores pass one contract suite. Instants stay TEXT in the store's normalised form
 * ('YYYY-MM-DDTHH:mm:ss.sssZ', fhir-instant.ts) and every column that is compared or sorted
 * is COLLATE "C": byte order, as in SQLite, so string order is time order whatever the
 * database's locale. Resource content is TEXT, not jsonb: it is written once and read back
 * whole, and jsonb would cost a parse on every write for queries the gateway never makes.
 */
export const pgMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE resources (
        resource_type text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        version_id text NOT NULL,
        last_updated text COLLATE "C" NOT NULL,
        content text NOT NULL,
        PRIMARY KEY (resource_type, id)
      );

      CREATE TABLE tasks (
        resource_type text COLLATE "C" NOT NULL DEFAULT 'Task' CHECK (resource_type = 'Task'),
        id text COLLATE "C" NOT NULL PRIMARY KEY,
        based_on text COLLATE "C" NOT NULL,
        owner text COLLATE "C" NOT NULL,
        status text COLLATE "C" NOT NULL,
        last_updated text COLLATE "C" NOT NULL,
        FOREIGN KEY (resource_type, id) REFERENCES resources (resource_type, id)
      );
      CREATE INDEX tasks_last_updated ON tasks (last_updated, id);
      CREATE INDEX tasks_owner ON tasks (owner, last_updated, id);
      CREATE INDEX tasks_status ON tasks (status, last_updated, id);
      CREATE INDEX tasks_based_on ON tasks (based_on);

      CREATE TABLE outbox (
        id text COLLATE "C" NOT NULL PRIMARY KEY,
        partnership_id text COLLATE "C" NOT NULL,
        service_request_id text NOT NULL,
        task_id text NOT NULL,
        status text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'delivered', 'dead-letter')),
        attempts integer NOT NULL CHECK (attempts >= 0),
        next_attempt_at text COLLATE "C" NOT NULL,
        lease_until text COLLATE "C",
        last_error text,
        last_response_status integer,
        created_at text COLLATE "C" NOT NULL,
        updated_at text COLLATE "C" NOT NULL
      );
      CREATE INDEX outbox_created ON outbox (created_at, id);
      CREATE INDEX outbox_partnership ON outbox (partnership_id, created_at, id);
      -- the claim reads due pending rows in (next_attempt_at, created_at, id) order; a partial
      -- index keeps delivered rows (almost all of them, in time) out of its way
      CREATE INDEX outbox_claim ON outbox (next_attempt_at, created_at, id) WHERE status = 'pending';

      CREATE TABLE audit_events (
        id text COLLATE "C" NOT NULL PRIMARY KEY,
        recorded text COLLATE "C" NOT NULL,
        action text NOT NULL CHECK (action IN ('C', 'R', 'U', 'D', 'E')),
        subtype text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('0', '4', '8', '12')),
        agent text NOT NULL,
        entity text COLLATE "C" NOT NULL,
        correlation_id text
      );
      CREATE INDEX audit_events_recorded ON audit_events (recorded, id);
      CREATE INDEX audit_events_entity ON audit_events (entity);

      CREATE TABLE request_ids (
        request_id text COLLATE "C" NOT NULL PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('in-flight', 'done')),
        service_request_id text,
        task_id text,
        claimed_at text COLLATE "C" NOT NULL,
        CHECK (state = 'in-flight' OR (service_request_id IS NOT NULL AND task_id IS NOT NULL))
      );

      CREATE TABLE delivery_circuits (
        partnership_id text COLLATE "C" NOT NULL PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('closed', 'open', 'half-open')),
        consecutive_failures integer NOT NULL CHECK (consecutive_failures >= 0),
        opened_at text,
        open_until text,
        updated_at text NOT NULL
      );
    `
  },
  {
    version: 2,
    name: 'outbox kinds: BaRS response messages beside partnership referrals',
    sql: `
      ALTER TABLE outbox ADD COLUMN kind text NOT NULL DEFAULT 'referral' CHECK (kind IN ('referral', 'bars-response'));
      ALTER TABLE outbox ADD COLUMN payload text;
    `
  },
  {
    version: 3,
    name: 'resource content compressed with lz4 where the server has it',
    sql: `
      -- a referral's ServiceRequest is ~5 KB of JSON, past the 2 KB TOAST threshold, so every
      -- write compresses it; lz4 costs a fraction of the default pglz's CPU (PostgreSQL 14+
      -- "default_toast_compression"). A server built without lz4 keeps pglz.
      DO $$
      BEGIN
        ALTER TABLE resources ALTER COLUMN content SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
        NULL;
      END
      $$;
    `
  },
  {
    version: 4,
    name: 'access scope on every stored resource',
    sql: `
      -- the same step as SQLite's version 5: whose a resource is, filtered on in the query
      ALTER TABLE resources ADD COLUMN referral_id text COLLATE "C";
      ALTER TABLE resources ADD COLUMN requester_ods text COLLATE "C";
      ALTER TABLE resources ADD COLUMN owner text COLLATE "C";
      ALTER TABLE tasks ADD COLUMN requester_ods text COLLATE "C";
      CREATE INDEX tasks_requester ON tasks (requester_ods, last_updated, id);

      UPDATE tasks SET requester_ods = (
        SELECT upper(trim(r.content::jsonb #>> '{requester,identifier,value}')) FROM resources r
        WHERE r.resource_type = 'Task' AND r.id = tasks.id
          AND r.content::jsonb #>> '{requester,identifier,system}' = 'https://fhir.nhs.uk/Id/ods-organization-code');
      UPDATE resources SET referral_id = substr(t.based_on, 16), owner = t.owner, requester_ods = t.requester_ods
        FROM tasks t WHERE resources.resource_type = 'Task' AND resources.id = t.id;
      UPDATE resources SET referral_id = resources.id, owner = t.owner, requester_ods = t.requester_ods
        FROM tasks t WHERE resources.resource_type IN ('ServiceRequest', 'MessageHeader') AND t.based_on = 'ServiceRequest/' || resources.id;
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
    version: 7,
    name: 'referral reference on the Task index',
    sql: `
      -- the same step as SQLite's version 8
      ALTER TABLE tasks ADD COLUMN reference text COLLATE "C";
      CREATE INDEX tasks_reference ON tasks (reference) WHERE reference IS NOT NULL;
    `
  },
  {
    version: 8,
    name: 'referral reference unique across instances',
    sql: `
      -- the same step as SQLite's version 9: gateways sharing this database each draw their
      -- own references, and this index is what keeps two referrals from one reference
      -- (docs/referral-reference.md). A pair written before it keeps its reference and stays
      -- findable; the later of the two is marked, so only new references are held unique.
      ALTER TABLE tasks ADD COLUMN reference_clash text COLLATE "C";
      UPDATE tasks t SET reference_clash = t.id
        WHERE t.reference IS NOT NULL AND EXISTS (SELECT 1 FROM tasks o WHERE o.reference = t.reference AND o.id < t.id);
      CREATE UNIQUE INDEX tasks_reference_unique ON tasks (reference, (coalesce(reference_clash, ''))) WHERE reference IS NOT NULL;
      DROP INDEX tasks_reference;
    `
  },
  {
    version: 9,
    name: 'patient keys of referrals (duplicate links)',
    sql: `
      -- the same step as SQLite's version 10: a keyed digest of the NHS number, never the number
      CREATE TABLE patient_keys (
        task_id text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES tasks (id),
        patient_key text COLLATE "C" NOT NULL,
        accepted_at text COLLATE "C" NOT NULL
      );
      CREATE INDEX patient_keys_lookup ON patient_keys (patient_key, accepted_at);
    `
  }
]

/** The newest schema version a list of steps reaches. */
export function latestVersion (steps: readonly Migration[] = pgMigrations): number {
  return steps.reduce((max, step) => Math.max(max, step.version), 0)
}

// any fixed number: all gateways on one database take the same advisory lock
const MIGRATION_LOCK = 7_240_001

/**
 * Brings the schema (the connection's search_path) to the latest version. All pending steps
 * run in one transaction under a transaction-scoped advisory lock, so instances starting at
 * once apply each step once, and a failing step leaves the schema as it was (PostgreSQL DDL
 * is transactional).
 *
 * @param now stamped into schema_migrations.applied_at (bookkeeping only)
 * @returns the versions applied by this call
 * @throws Error when the schema was written by a newer gateway
 */
export async function runPgMigrations (client: PoolClient, now: Date, steps: readonly Migration[] = pgMigrations): Promise<number[]> {
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer NOT NULL PRIMARY KEY,
      name text NOT NULL,
      applied_at text NOT NULL
    )`)
    const current = await schemaVersion(client)
    const latest = latestVersion(steps)
    if (current > latest) {
      throw new Error(`database schema version ${current} is newer than this gateway knows (${latest})`)
    }
    const applied: number[] = []
    for (const step of [...steps].sort((a, b) => a.version - b.version)) {
      if (step.version <= current) continue
      await client.query(step.sql)
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [step.version, step.name, now.toISOString()])
      applied.push(step.version)
    }
    await client.query('COMMIT')
    return applied
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

/** The schema's recorded version; 0 when no migration table exists yet. */
export async function schemaVersion (client: { query: PoolClient['query'] }): Promise<number> {
  const exists = await client.query<{ found: string | null }>('SELECT to_regclass(\'schema_migrations\')::text AS found')
  if (exists.rows[0]?.found == null) return 0
  const row = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations')
  return row.rows[0]?.version ?? 0
}
