import pg from 'pg'
import type { Pool, PoolClient, QueryConfig } from 'pg'
import type {
  AccessScope,
  AuditRecord,
  CircuitRecord,
  ClaimFilter,
  DeliveryFilter,
  DeliverySettlement,
  KeyedReferral,
  OutboxRow,
  OutboxStats,
  PruneCounts,
  PruneCutoffs,
  ReferralWrite,
  ReplayResult,
  RequestIdClaim,
  Store,
  StoredResource,
  TaskQuery,
  TaskSearchResult,
  TaskVersionResult,
  TaskVersionWrite
} from './store.ts'
import { instantBounds, normaliseInstant } from './fhir-instant.ts'
import { latestVersion, runPgMigrations, schemaVersion } from './pg-migrations.ts'
import { REFERENCE_INDEX, ReferenceTakenError, RequestIdAlreadyDoneError } from './store-errors.ts'
import { auditValues as auditColumns, byDueThenCreated, PRUNE_BATCH, checkNonNegativeInteger, checkResources, checkTaskVersion, int, ResourceConflict, text, toCircuitRecord, toOutboxRow, toOutboxStats, toStoredResource, createdScope, resourceRow, toKeyedReferral } from './store-rows.ts'
import type { ReferralRows, Row } from './store-rows.ts'
import { toReferralRows } from './store-rows.ts'
import { scopeCondition } from './access-scope.ts'
import { completeRequestIds, completeRequestIdsQuery, saveReferralsQuery } from './pg-referral-batch.ts'
import { createGroupCommit, type ItemOutcome } from './group-commit.ts'
import { AUDIT_SEARCH_SQL, auditSearchValues, toAuditRecord } from '../audit/audit-row.ts'
import type { AuditQuery } from '../audit/audit-event.ts'

/** Options of {@link openPgStore}. */
export interface PgStoreOptions {
  /** postgres://user@host:port/database */
  connectionString: string
  /** schema to work in (created when absent); default: the connection's search_path */
  schema?: string
  /** connections in the pool (default 10) */
  poolSize?: number
}

/**
 * Opens the PostgreSQL store on a connection pool and brings its schema up to date. Several
 * gateway instances may share one database: migrations take an advisory lock, and outbox
 * claims skip rows another instance holds (FOR UPDATE SKIP LOCKED) and lease them.
 *
 * @throws when the server cannot be reached or its schema is newer than this gateway
 */
export async function openPgStore (options: PgStoreOptions): Promise<Store> {
  const schema = options.schema
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new RangeError(`schema must be a lower-case SQL identifier, got '${schema}'`)
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    // a pool that cannot connect must fail readiness, not hang it
    connectionTimeoutMillis: 5_000,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` })
  })
  // an idle connection that the server drops emits 'error' on the pool; without a listener
  // that would crash the process, and the next query simply opens a new connection
  pool.on('error', () => undefined)
  try {
    const client = await pool.connect()
    try {
      if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
      // applied_at is bookkeeping, not a decision, so the wall clock is fine here
      await runPgMigrations(client, new Date())
    } finally {
      client.release()
    }
    return new PgStore(pool)
  } catch (err) {
    await pool.end()
    throw err
  }
}

type Query = QueryConfig<unknown[]>

const INSERT_OUTBOX = `INSERT INTO outbox (id, partnership_id, service_request_id, task_id, status, attempts, next_attempt_at, created_at, updated_at, kind, payload)
  VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5, $6, $7)`

/** The Store on a pg Pool; every method is one statement or one transaction. */
class PgStore implements Store {
  readonly #pool: Pool
  #closed = false
  /**
   * Group commit (group-commit.ts): the referrals saved in one turn of the event loop go to
   * PostgreSQL as one statement (pg-referral-batch.ts). Groups do not wait for each other: each
   * takes its own pooled connection.
   */
  readonly #saves = createGroupCommit<ReferralRows>({ commit: async (group) => this.#commitGroup(group), maxInFlight: Number.POSITIVE_INFINITY })

  constructor (pool: Pool) {
    this.#pool = pool
  }

  async claimRequestId (requestId: string, now: Date, staleAfterMs: number): Promise<RequestIdClaim> {
    const nowIso = now.toISOString()
    const staleBefore = new Date(now.getTime() - staleAfterMs).toISOString()
    return this.#transaction(async (c): Promise<RequestIdClaim> => {
      const inserted = await c.query('INSERT INTO request_ids (request_id, state, claimed_at) VALUES ($1, \'in-flight\', $2) ON CONFLICT DO NOTHING', [requestId, nowIso])
      if (inserted.rowCount === 1) return { kind: 'claimed' }
      // the row lock orders this claim after any other one in progress on the same id
      const { rows: [row] } = await c.query<Row>('SELECT state, service_request_id, task_id, claimed_at FROM request_ids WHERE request_id = $1 FOR UPDATE', [requestId])
      if (row === undefined) return { kind: 'in-flight' } // released meanwhile: the client retries
      if (text(row, 'state') === 'done') {
        return { kind: 'done', serviceRequestId: text(row, 'service_request_id'), taskId: text(row, 'task_id') }
      }
      const taken = await c.query('UPDATE request_ids SET claimed_at = $1 WHERE request_id = $2 AND state = \'in-flight\' AND claimed_at < $3', [nowIso, requestId, staleBefore])
      return taken.rowCount === 1 ? { kind: 'claimed' } : { kind: 'in-flight' }
    })
  }

  async releaseRequestId (requestId: string): Promise<void> {
    await this.#query({ text: 'DELETE FROM request_ids WHERE request_id = $1 AND state = \'in-flight\'', values: [requestId] })
  }

  async saveReferral (write: ReferralWrite): Promise<void> {
    // flattened before it queues: a bad instant is a caller bug, refused before any I/O
    const rows = toReferralRows(write, normaliseInstant)
    await this.#saves.add(rows)
  }

  /**
   * If the group fails, nothing of it was written (one statement, or one transaction with the
   * request ids), and each write is tried alone, so only the one at fault fails, with its own
   * error.
   */
  async #commitGroup (group: readonly ReferralRows[]): Promise<void | ItemOutcome[]> {
    try {
      await this.#saveGroup(group)
      return
    } catch (err) {
      if (group.length === 1) throw err
    }
    // one after another, in the order they were saved: of two writes that clash, the later fails
    const outcomes: ItemOutcome[] = []
    for (const rows of group) {
      try {
        await this.#saveGroup([rows])
        outcomes.push({ ok: true })
      } catch (error) {
        outcomes.push({ ok: false, error })
      }
    }
    return outcomes
  }

  async #saveGroup (group: readonly ReferralRows[]): Promise<void> {
    const save = saveReferralsQuery(group)
    const complete = completeRequestIdsQuery(group)
    // alone, a write whose reference is taken says so; in a group it is retried alone first
    const reference = group.length === 1 ? group[0]?.task[6] : undefined
    const insert = async (run: () => Promise<unknown>): Promise<void> => {
      try {
        await run()
      } catch (err) {
        const e = err as { code?: unknown, constraint?: unknown }
        if (typeof reference === 'string' && e.code === '23505' && e.constraint === REFERENCE_INDEX) throw new ReferenceTakenError(reference)
        throw err
      }
    }
    if (complete === undefined) {
      await insert(async () => this.#query(save))
      return
    }
    await this.#transaction(async (c) => {
      await insert(async () => c.query(save))
      const done = await c.query(complete.query)
      if (done.rowCount !== complete.count) {
        const only = group.length === 1 ? group[0]?.requestId : null
        throw only === null || only === undefined ? new Error('an X-Request-Id of the group was completed by another request') : new RequestIdAlreadyDoneError(only)
      }
    })
  }

  async appendAudit (event: AuditRecord): Promise<void> {
    await this.#query({
      name: 'append-audit',
      text: 'INSERT INTO audit_events (id, recorded, action, subtype, outcome, agent, entity, correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      values: auditValues(event)
    })
  }

  async updateTask (write: TaskVersionWrite): Promise<TaskVersionResult> {
    const t = write.task
    checkTaskVersion(t)
    const lastUpdated = normaliseInstant(t.lastUpdated)
    const audit = write.audit.map(auditValues)
    const o = write.outbox
    const outboxCreatedAt = o === undefined ? undefined : normaliseInstant(o.createdAt)
    const others = write.resources ?? []
    checkResources(others.map((r) => r.resource))
    const requestId = write.requestId
    return this.#transaction(async (c): Promise<TaskVersionResult> => {
      // the version check is the UPDATE's own condition: a concurrent update of the same row
      // waits for the first to commit, then re-checks the condition and changes nothing
      const changed = await c.query(`UPDATE resources SET version_id = $1, last_updated = $2, content = $3
        WHERE resource_type = 'Task' AND id = $4 AND version_id = $5`,
      [t.versionId, t.lastUpdated, JSON.stringify(t.resource), t.id, write.expectedVersionId])
      if (changed.rowCount === 0) {
        const { rows: [row] } = await c.query<Row>('SELECT version_id FROM resources WHERE resource_type = \'Task\' AND id = $1', [t.id])
        return row === undefined ? { kind: 'not-found' } : { kind: 'version-conflict', currentVersionId: text(row, 'version_id') }
      }
      const indexed = await c.query('UPDATE tasks SET status = $1, last_updated = $2 WHERE id = $3', [write.status, lastUpdated, t.id])
      // a Task without its search row would vanish from searches; roll the version back
      if (indexed.rowCount !== 1) throw new Error(`Task/${t.id} has no search row`)
      for (const { resource: r, expectedVersionId } of others) {
        if (expectedVersionId === undefined) {
          await c.query('INSERT INTO resources (resource_type, id, version_id, last_updated, content, referral_id, requester_ods, owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
            resourceRow(r, createdScope(write)))
          continue
        }
        const rewritten = await c.query(`UPDATE resources SET version_id = $1, last_updated = $2, content = $3
          WHERE resource_type = $4 AND id = $5 AND version_id = $6`,
        [r.versionId, r.lastUpdated, JSON.stringify(r.resource), r.resourceType, r.id, expectedVersionId])
        if (rewritten.rowCount === 0) {
          // thrown so that the Task version above rolls back with it; answered below
          const { rows: [row] } = await c.query<Row>('SELECT version_id FROM resources WHERE resource_type = $1 AND id = $2', [r.resourceType, r.id])
          throw new ResourceConflict(r.resourceType, r.id, row === undefined ? undefined : text(row, 'version_id'))
        }
      }
      if (o !== undefined && outboxCreatedAt !== undefined) {
        await c.query(INSERT_OUTBOX, [o.id, o.partnershipId, o.serviceRequestId, o.taskId, outboxCreatedAt, o.kind ?? 'referral', o.payload ?? null])
      }
      for (const values of audit) {
        await c.query('INSERT INTO audit_events (id, recorded, action, subtype, outcome, agent, entity, correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', values)
      }
      if (requestId !== undefined) {
        const done = await c.query(completeRequestIds([[requestId.id, requestId.serviceRequestId, t.id, lastUpdated]]))
        if (done.rowCount !== 1) throw new RequestIdAlreadyDoneError(requestId.id)
      }
      return { kind: 'updated' }
    }).catch((err: unknown) => {
      if (err instanceof ResourceConflict) return err.result()
      throw err
    })
  }

  async referralsByPatientKey (patientKey: string, since: string, limit: number): Promise<KeyedReferral[]> {
    checkNonNegativeInteger('limit', limit)
    const { rows } = await this.#query({
      name: 'referrals-by-patient-key',
      // the latest first, so the limit keeps the newest, then oldest first
      text: `SELECT * FROM (SELECT k.task_id, k.accepted_at, t.based_on, t.owner, t.requester_ods, t.reference
        FROM patient_keys k JOIN tasks t ON t.id = k.task_id
        WHERE k.patient_key = $1 AND k.accepted_at >= $2 ORDER BY k.accepted_at DESC, k.task_id DESC LIMIT $3) latest
        ORDER BY accepted_at, task_id`,
      values: [patientKey, normaliseInstant(since), limit]
    })
    return rows.map(toKeyedReferral)
  }

  async readResource (resourceType: string, id: string, scope?: AccessScope): Promise<StoredResource | undefined> {
    if (scope === undefined) {
      const { rows: [row] } = await this.#query({
        name: 'read-resource',
        text: 'SELECT resource_type, id, version_id, last_updated, content FROM resources WHERE resource_type = $1 AND id = $2',
        values: [resourceType, id]
      })
      return row === undefined ? undefined : toStoredResource(row)
    }
    const values: string[] = [resourceType, id]
    const inScope = scopeCondition(scope, 'requester_ods', 'owner', (v) => { values.push(v); return `$${values.length}` })
    const { rows: [row] } = await this.#query({
      text: `SELECT resource_type, id, version_id, last_updated, content FROM resources WHERE resource_type = $1 AND id = $2 AND ${inScope}`,
      values
    })
    return row === undefined ? undefined : toStoredResource(row)
  }

  async searchTasks (query: TaskQuery): Promise<TaskSearchResult> {
    checkNonNegativeInteger('count', query.count)
    checkNonNegativeInteger('offset', query.offset)
    const { from, to } = instantBounds(query.lastUpdated ?? [])
    const where: string[] = []
    const values: unknown[] = []
    const filter = (column: string, op: string, value: string | undefined): void => {
      if (value === undefined) return
      values.push(value)
      where.push(`t.${column} ${op} $${values.length}`)
    }
    filter('based_on', '=', query.basedOn)
    filter('reference', '=', query.reference)
    filter('owner', '=', query.owner)
    filter('status', '=', query.status)
    filter('last_updated', '>=', from)
    filter('last_updated', '<', to)
    if (query.scope !== undefined) {
      where.push(scopeCondition(query.scope, 't.requester_ods', 't.owner', (v) => { values.push(v); return `$${values.length}` }))
    }
    const whereSql = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`
    // the cursor narrows the page only: total still counts every match (TaskQuery.after)
    const pageWhere = [...where]
    const pageValues = [...values]
    if (query.after !== undefined) {
      pageValues.push(query.after.lastUpdated, query.after.id)
      const at = pageValues.length - 1
      pageWhere.push(`(t.last_updated > $${at} OR (t.last_updated = $${at} AND t.id > $${at + 1}))`)
    }
    const pageWhereSql = pageWhere.length === 0 ? '' : `WHERE ${pageWhere.join(' AND ')}`
    // one snapshot for the page and its total
    return this.#transaction(async (c) => {
      const { rows: [totalRow] } = await c.query<Row>(`SELECT count(*)::int AS total FROM tasks t ${whereSql}`, values)
      const total = totalRow === undefined ? 0 : int(totalRow, 'total')
      if (query.count === 0 || query.offset >= total) return { total, tasks: [] }
      const n = pageValues.length
      const { rows } = await c.query<Row>(`SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.content
        FROM tasks t JOIN resources r ON r.resource_type = t.resource_type AND r.id = t.id
        ${pageWhereSql} ORDER BY t.last_updated, t.id LIMIT $${n + 1} OFFSET $${n + 2}`, [...pageValues, query.count, query.offset])
      return { total, tasks: rows.map(toStoredResource) }
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
  }

  async listDeliveries (filter: DeliveryFilter): Promise<OutboxRow[]> {
    checkNonNegativeInteger('limit', filter.limit)
    const where: string[] = []
    const values: unknown[] = []
    if (filter.partnershipId !== undefined) {
      values.push(filter.partnershipId)
      where.push(`partnership_id = $${values.length}`)
    }
    if (filter.serviceRequestId !== undefined) {
      values.push(filter.serviceRequestId)
      where.push(`service_request_id = $${values.length}`)
    }
    if (filter.status !== undefined) {
      values.push(filter.status)
      where.push(`status = $${values.length}`)
    }
    values.push(filter.limit)
    const whereSql = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`
    const { rows } = await this.#query({ text: `SELECT * FROM outbox ${whereSql} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`, values })
    return rows.map(toOutboxRow)
  }

  async claimDueDeliveries (now: Date, limit: number, leaseMs: number, filter: ClaimFilter = {}): Promise<OutboxRow[]> {
    checkNonNegativeInteger('limit', limit)
    if (limit === 0 || filter.partnershipIds?.length === 0) return []
    const nowIso = now.toISOString()
    const values: unknown[] = [nowIso, new Date(now.getTime() + leaseMs).toISOString(), limit]
    const where: string[] = []
    if (filter.partnershipIds !== undefined) {
      values.push(filter.partnershipIds)
      where.push(`AND partnership_id = ANY($${values.length}::text[])`)
    }
    if (filter.excludePartnershipIds !== undefined && filter.excludePartnershipIds.length > 0) {
      values.push(filter.excludePartnershipIds)
      where.push(`AND partnership_id <> ALL($${values.length}::text[])`)
    }
    // SKIP LOCKED: rows another instance is claiming at this moment are passed over, not
    // waited for, and the lease keeps them its own until it settles them or dies
    const { rows } = await this.#query({
      text: `UPDATE outbox SET lease_until = $2
        WHERE id IN (
          SELECT id FROM outbox
          WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1) ${where.join(' ')}
          ORDER BY next_attempt_at, created_at, id
          LIMIT $3
          FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      values
    })
    return rows.map(toOutboxRow).sort(byDueThenCreated)
  }

  async settleDeliveries (settlements: DeliverySettlement[], now: Date, audit: AuditRecord[] = []): Promise<void> {
    if (settlements.length === 0 && audit.length === 0) return
    const col = <T>(pick: (s: DeliverySettlement) => T): T[] => settlements.map(pick)
    // every outcome in one statement (one commit); only pending rows change, so a late
    // report for a row another worker settled is ignored
    const settle = {
      name: 'settle-deliveries',
      text: `UPDATE outbox o SET
          status = CASE s.outcome WHEN 'delivered' THEN 'delivered' WHEN 'dead-letter' THEN 'dead-letter' ELSE o.status END,
          attempts = o.attempts + CASE s.outcome WHEN 'deferred' THEN 0 ELSE 1 END,
          next_attempt_at = CASE WHEN s.outcome IN ('retry', 'deferred') THEN s.next_attempt_at ELSE o.next_attempt_at END,
          last_error = CASE WHEN s.outcome IN ('retry', 'dead-letter') THEN s.error ELSE o.last_error END,
          last_response_status = CASE s.outcome WHEN 'deferred' THEN o.last_response_status ELSE s.response_status END,
          lease_until = NULL,
          updated_at = $6
        FROM (SELECT DISTINCT ON (id) * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])
              AS u(id, outcome, next_attempt_at, error, response_status)) s
        WHERE o.id = s.id AND o.status = 'pending'`,
      values: [
        col((s) => s.id),
        col((s) => s.outcome),
        col((s) => (s.outcome === 'retry' || s.outcome === 'deferred' ? s.nextAttemptAt.toISOString() : null)),
        col((s) => (s.outcome === 'retry' || s.outcome === 'dead-letter' ? s.error : null)),
        col((s) => (s.outcome === 'deferred' ? null : s.responseStatus ?? null)),
        now.toISOString()
      ]
    }
    if (audit.length === 0) {
      await this.#query(settle)
      return
    }
    const rows = audit.map(auditValues)
    const column = (n: number): Array<string | null> => rows.map((r) => r[n] ?? null)
    await this.#transaction(async (c) => {
      await c.query(settle)
      await c.query({
        name: 'append-audit-batch',
        text: `INSERT INTO audit_events (id, recorded, action, subtype, outcome, agent, entity, correlation_id)
          SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`,
        values: [0, 1, 2, 3, 4, 5, 6, 7].map(column)
      })
    })
  }

  async replayDelivery (id: string, now: Date): Promise<ReplayResult> {
    const at = now.toISOString()
    return this.#transaction(async (c): Promise<ReplayResult> => {
      // last_error stays: it tells the operator what the replayed row failed with before
      const { rows: [replayed] } = await c.query<Row>(`UPDATE outbox
        SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = NULL, updated_at = $1
        WHERE id = $2 AND status = 'dead-letter'
        RETURNING *`, [at, id])
      if (replayed !== undefined) return { kind: 'replayed', row: toOutboxRow(replayed) }
      const { rows: [row] } = await c.query<Row>('SELECT * FROM outbox WHERE id = $1', [id])
      return row === undefined ? { kind: 'not-found' } : { kind: 'not-dead-letter', row: toOutboxRow(row) }
    })
  }

  async outboxStats (): Promise<OutboxStats> {
    // the partial index outbox_claim holds exactly the pending rows
    const { rows: [row] } = await this.#query({
      name: 'outbox-stats',
      text: `SELECT
        (SELECT count(*)::int FROM outbox WHERE status = 'pending') AS pending,
        (SELECT count(*)::int FROM outbox WHERE status = 'dead-letter') AS dead_letter,
        (SELECT min(created_at) FROM outbox WHERE status = 'pending') AS oldest`
    })
    return toOutboxStats(row ?? {})
  }

  async saveCircuit (circuit: CircuitRecord): Promise<void> {
    await this.#query({
      name: 'save-circuit',
      text: `INSERT INTO delivery_circuits (partnership_id, state, consecutive_failures, opened_at, open_until, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (partnership_id) DO UPDATE SET state = excluded.state, consecutive_failures = excluded.consecutive_failures,
          opened_at = excluded.opened_at, open_until = excluded.open_until, updated_at = excluded.updated_at`,
      values: [circuit.partnershipId, circuit.state, circuit.consecutiveFailures, circuit.openedAt ?? null, circuit.openUntil ?? null,
        normaliseInstant(circuit.updatedAt)]
    })
  }

  async searchAudit (query: AuditQuery): Promise<AuditRecord[]> {
    const { rows } = await this.#query({ name: 'search-audit', text: AUDIT_SEARCH_SQL.pg, values: auditSearchValues(query) })
    return rows.map(toAuditRecord)
  }

  async listCircuits (): Promise<CircuitRecord[]> {
    const { rows } = await this.#query({ text: 'SELECT * FROM delivery_circuits ORDER BY partnership_id' })
    return rows.map(toCircuitRecord)
  }

  async prune (cutoffs: PruneCutoffs, dryRun: boolean): Promise<PruneCounts> {
    const delivered = cutoffs.deliveredBefore.toISOString()
    const audit = cutoffs.auditBefore.toISOString()
    // only delivered rows: pending and dead-letter rows are work not yet done
    const outboxWhere = 'status = \'delivered\' AND updated_at < $1'
    if (dryRun) {
      const { rows: [row] } = await this.#query({
        text: `SELECT (SELECT count(*)::int FROM outbox WHERE ${outboxWhere}) AS delivered,
          (SELECT count(*)::int FROM audit_events WHERE recorded < $2) AS audit`,
        values: [delivered, audit]
      })
      return { deliveredRows: row === undefined ? 0 : int(row, 'delivered'), auditRecords: row === undefined ? 0 : int(row, 'audit') }
    }
    const inBatches = async (text: string, before: string): Promise<number> => {
      let total = 0
      for (;;) {
        const { rowCount } = await this.#query({ text, values: [before, PRUNE_BATCH] })
        total += rowCount ?? 0
        if ((rowCount ?? 0) < PRUNE_BATCH) return total
      }
    }
    return {
      deliveredRows: await inBatches(`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE ${outboxWhere} LIMIT $2)`, delivered),
      auditRecords: await inBatches('DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE recorded < $1 LIMIT $2)', audit)
    }
  }

  async ping (): Promise<boolean> {
    if (this.#closed) return false
    try {
      return await schemaVersion(this.#pool) === latestVersion()
    } catch {
      return false
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // referrals already handed to saveReferral are written (or fail) before the pool ends
    await this.#saves.drain()
    await this.#pool.end()
  }

  async #query (query: Query): Promise<{ rows: Row[], rowCount: number | null }> {
    return this.#pool.query<Row>(query)
  }

  /** Runs fn on one connection inside a transaction; any error rolls back and is rethrown. */
  async #transaction<T>(fn: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const client = await this.#pool.connect()
    let broken = false
    try {
      await client.query(begin)
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (err) {
      try {
        await client.query('ROLLBACK')
      } catch {
        // the connection itself failed: drop it instead of returning it to the pool
        broken = true
      }
      throw err
    } finally {
      client.release(broken)
    }
  }
}

function auditValues (event: AuditRecord): Array<string | null> {
  return auditColumns(event, normaliseInstant)
}
