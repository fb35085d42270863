import type { QueryConfig } from 'pg'
import type { ReferralRows } from './store-rows.ts'

/**
 * Referrals saved in one turn of the event loop as ONE statement (group commit, as the SQLite
 * store does): data-modifying CTEs insert every resource, Task row, outbox row and audit record
 * of the whole group from arrays, so the statement has one shape for any group size and is
 * prepared once per connection. A statement is atomic: without X-Request-Ids it needs no
 * explicit transaction, so a group costs one round trip and one commit.
 */
const SAVE_REFERRALS = `WITH
  r AS (INSERT INTO resources (resource_type, id, version_id, last_updated, content, referral_id, requester_ods, owner)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])),
  t AS (INSERT INTO tasks (id, based_on, owner, status, last_updated, requester_ods, reference)
        SELECT * FROM unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $30::text[])),
  o AS (INSERT INTO outbox (id, partnership_id, service_request_id, task_id, status, attempts, next_attempt_at, created_at, updated_at, kind, payload)
        SELECT id, p, s, k, 'pending', 0, c, c, c, kind, payload
        FROM unnest($15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[]) AS x(id, p, s, k, c, kind, payload)),
  a AS (INSERT INTO audit_events (id, recorded, action, subtype, outcome, agent, entity, correlation_id)
        SELECT * FROM unnest($22::text[], $23::text[], $24::text[], $25::text[], $26::text[], $27::text[], $28::text[], $29::text[])),
  k AS (INSERT INTO patient_keys (task_id, patient_key, accepted_at)
        SELECT * FROM unnest($31::text[], $32::text[], $33::text[]))
  SELECT 1`

// Only an in-flight (or unclaimed) id may complete: if another request took over a stale claim
// and finished first, its row is not returned, and the caller rolls the whole group back.
const COMPLETE_REQUEST_IDS = `INSERT INTO request_ids (request_id, state, service_request_id, task_id, claimed_at)
  SELECT id, 'done', s, t, c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(id, s, t, c)
  ON CONFLICT (request_id) DO UPDATE
    SET state = 'done', service_request_id = excluded.service_request_id, task_id = excluded.task_id
    WHERE request_ids.state = 'in-flight'
  RETURNING request_id`

/** Column i of every tuple. */
function column<T extends ReadonlyArray<string | null>> (rows: readonly T[], i: number): Array<string | null> {
  return rows.map((row) => row[i] ?? null)
}

/** The statement that saves a group of referrals (already flattened, store-rows.ts). */
export function saveReferralsQuery (group: readonly ReferralRows[]): QueryConfig<unknown[]> {
  const resources = group.flatMap((g) => g.resources)
  const tasks = group.map((g) => g.task)
  const outbox = group.flatMap((g) => (g.outbox === null ? [] : [g.outbox]))
  const audit = group.flatMap((g) => g.audit)
  const keys = group.flatMap((g) => (g.patientKey === null ? [] : [g.patientKey]))
  return {
    name: 'save-referrals-keyed',
    text: SAVE_REFERRALS,
    values: [
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => column(resources, i)),
      ...[0, 1, 2, 3, 4, 5].map((i) => column(tasks, i)),
      ...[0, 1, 2, 3, 4, 5, 6].map((i) => column(outbox, i)),
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => column(audit, i)),
      // the tasks' reference column and the patient keys came later: their parameters are last
      column(tasks, 6),
      ...[0, 1, 2].map((i) => column(keys, i))
    ]
  }
}

/** One X-Request-Id to mark done: the id, the ServiceRequest and Task it made, and when. */
export type RequestIdDone = readonly [requestId: string, serviceRequestId: string, taskId: string, at: string]

/**
 * Marks X-Request-Ids done (referral saves and Task updates alike); the caller compares the
 * rows returned with how many it asked for.
 */
export function completeRequestIds (done: readonly RequestIdDone[]): QueryConfig<unknown[]> {
  return {
    name: 'complete-request-ids',
    text: COMPLETE_REQUEST_IDS,
    // claimed_at only matters for an id nobody claimed first; the write's time stands in
    values: [0, 1, 2, 3].map((i) => done.map((d) => d[i]))
  }
}

/** The X-Request-Ids a group completes, or undefined when none of its writes carried one. */
export function completeRequestIdsQuery (group: readonly ReferralRows[]): { query: QueryConfig<unknown[]>, count: number } | undefined {
  const done = group.flatMap((g): RequestIdDone[] => (g.requestId === null ? [] : [[g.requestId, g.serviceRequestId, g.task[0], g.task[4]]]))
  if (done.length === 0) return undefined
  return { count: done.length, query: completeRequestIds(done) }
}
