import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite'
import type {
  AccessScope,
  AuditRecord,
  CircuitRecord,
  ClaimFilter,
  DeliverySettlement,
  ReplayResult,
  DeliveryFilter,
  KeyedReferral,
  NewOutboxRow,
  OutboxRow,
  OutboxStats,
  PruneCounts,
  PruneCutoffs,
  ReferralWrite,
  RequestIdClaim,
  Store,
  StoredResource,
  TaskQuery,
  TaskSearchResult,
  TaskVersionResult,
  TaskVersionWrite
} from './store.ts'
import { instantBounds, normaliseInstant } from './fhir-instant.ts'
import { openSqliteDatabase } from './sqlite-database.ts'
import { createGroupCommit, type ItemOutcome } from './group-commit.ts'
import { migrations, runMigrations } from './sqlite-migrations.ts'
import { scopeCondition } from './access-scope.ts'
import { auditValues as auditColumns, byDueThenCreated, PRUNE_BATCH, checkNonNegativeInteger, checkResources, checkTaskVersion, int, type ReferralRows, ResourceConflict, text, toCircuitRecord, toOutboxRow, toOutboxStats, toReferralRows, toStoredResource, createdScope, resourceRow, toKeyedReferral } from './store-rows.ts'
import { REFERENCE_INDEX, ReferenceTakenError, RequestIdAlreadyDoneError } from './store-errors.ts'
import { AUDIT_SEARCH_SQL, auditSearchValues, toAuditRecord } from '../audit/audit-row.ts'
import type { AuditQuery } from '../audit/audit-event.ts'

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** database file; ':memory:' for tests */
  file: string
  /** how long a writer waits for another process's lock before failing (default 5000) */
  busyTimeoutMs?: number
}

/**
 * Opens (creating when absent) the embedded SQLite store and brings its schema up to date.
 *
 * @throws when the file cannot be opened or its schema is newer than this gateway
 */
export async function openSqliteStore (options: SqliteStoreOptions): Promise<SqliteWriterStore> {
  const db = openSqliteDatabase(options.file, options.busyTimeoutMs)
  try {
    // applied_at is bookkeeping, not a decision, so the wall clock is fine here
    runMigrations(db, new Date())
    return new SqliteStore(db)
  } catch (err) {
    db.close()
    throw err
  }
}

/** The SQLite Store plus the flattened referral write the writer thread receives. */
export interface SqliteWriterStore extends Store {
  saveReferralRows(rows: ReferralRows): Promise<void>
  /** every patient key accepted at or after `since` (normalised), for the threaded store's filter */
  patientKeysSince(since: string): Iterable<{ key: string, acceptedAt: string }>
}

const latestMigration = migrations.reduce((max, step) => Math.max(max, step.version), 0)

/** Statements used on every request, prepared once at open. */
interface Statements {
  begin: StatementSync
  beginRead: StatementSync
  commit: StatementSync
  rollback: StatementSync
  savepoint: StatementSync
  rollbackToSavepoint: StatementSync
  releaseSavepoint: StatementSync
  ping: StatementSync
  insertResource: StatementSync
  insertTask: StatementSync
  insertOutbox: StatementSync
  insertOutboxRow: StatementSync
  insertAudit: StatementSync
  insertPatientKey: StatementSync
  selectByPatientKey: StatementSync
  completeRequestId: StatementSync
  insertRequestId: StatementSync
  selectRequestId: StatementSync
  takeOverRequestId: StatementSync
  releaseRequestId: StatementSync
  selectResource: StatementSync
}

function prepareStatements (db: DatabaseSync): Statements {
  return {
    // IMMEDIATE takes the write lock up front, so a transaction never fails half-way
    // because another process started writing after our first read
    begin: db.prepare('BEGIN IMMEDIATE'),
    // a read transaction gives a search's page and total one snapshot
    beginRead: db.prepare('BEGIN'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT referral'),
    rollbackToSavepoint: db.prepare('ROLLBACK TO referral'),
    releaseSavepoint: db.prepare('RELEASE referral'),
    // readiness: reachable, and the schema is the one this gateway knows (no step pending)
    ping: db.prepare('SELECT coalesce(max(version), 0) AS version FROM schema_migrations'),
    insertResource: db.prepare(
      'INSERT INTO resources (resource_type, id, version_id, last_updated, content, referral_id, requester_ods, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    insertTask: db.prepare(
      'INSERT INTO tasks (id, based_on, owner, status, last_updated, requester_ods, reference) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    insertOutbox: db.prepare(`INSERT INTO outbox
      (id, partnership_id, service_request_id, task_id, status, attempts, next_attempt_at, created_at, updated_at, kind, payload)
      VALUES (:id, :partnershipId, :serviceRequestId, :taskId, 'pending', 0, :createdAt, :createdAt, :createdAt, :kind, :payload)`),
    insertOutboxRow: db.prepare(`INSERT INTO outbox
      (id, partnership_id, service_request_id, task_id, created_at, kind, payload, status, attempts, next_attempt_at, updated_at)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?5, ?5)`),
    insertAudit: db.prepare(`INSERT INTO audit_events
      (id, recorded, action, subtype, outcome, agent, entity, correlation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    insertPatientKey: db.prepare('INSERT INTO patient_keys (task_id, patient_key, accepted_at) VALUES (?, ?, ?)'),
    // the latest first, so the limit keeps the newest (the index is read backwards), then oldest first
    selectByPatientKey: db.prepare(`SELECT * FROM (SELECT k.task_id, k.accepted_at, t.based_on, t.owner, t.requester_ods, t.reference
      FROM patient_keys k JOIN tasks t ON t.id = k.task_id
      WHERE k.patient_key = ? AND k.accepted_at >= ? ORDER BY k.accepted_at DESC, k.task_id DESC LIMIT ?)
      ORDER BY accepted_at, task_id`),
    // only an in-flight (or unclaimed) id may complete: if another request took over a
    // stale claim and finished first, no row changes and the whole write is rolled back
    completeRequestId: db.prepare(`INSERT INTO request_ids (request_id, state, service_request_id, task_id, claimed_at)
      VALUES (?, 'done', ?, ?, ?)
      ON CONFLICT (request_id) DO UPDATE
        SET state = 'done', service_request_id = excluded.service_request_id, task_id = excluded.task_id
        WHERE request_ids.state = 'in-flight'`),
    insertRequestId: db.prepare(
      'INSERT INTO request_ids (request_id, state, claimed_at) VALUES (?, \'in-flight\', ?) ON CONFLICT DO NOTHING'),
    selectRequestId: db.prepare(
      'SELECT state, service_request_id, task_id, claimed_at FROM request_ids WHERE request_id = ?'),
    takeOverRequestId: db.prepare(
      'UPDATE request_ids SET claimed_at = ? WHERE request_id = ? AND state = \'in-flight\' AND claimed_at < ?'),
    releaseRequestId: db.prepare('DELETE FROM request_ids WHERE request_id = ? AND state = \'in-flight\''),
    selectResource: db.prepare(
      'SELECT resource_type, id, version_id, last_updated, content FROM resources WHERE resource_type = ? AND id = ?')
  }
}

/** The Store on one node:sqlite connection. Every call is synchronous underneath. */
class SqliteStore implements SqliteWriterStore {
  readonly #db: DatabaseSync
  readonly #s: Statements
  // searches and listings vary in shape; each shape is prepared once, on first use
  readonly #byShape = new Map<string, StatementSync>()
  readonly #saves = createGroupCommit<() => void>({ commit: (batch) => this.#commitGroup(batch) })

  constructor (db: DatabaseSync) {
    this.#db = db
    this.#s = prepareStatements(db)
  }

  async claimRequestId (requestId: string, now: Date, staleAfterMs: number): Promise<RequestIdClaim> {
    const nowIso = now.toISOString()
    return this.#write((): RequestIdClaim => {
      if (this.#s.insertRequestId.run(requestId, nowIso).changes === 1) return { kind: 'claimed' }
      const row = this.#s.selectRequestId.get(requestId)
      // deleted between the insert and the read is impossible inside one IMMEDIATE transaction
      if (row === undefined) throw new Error(`request id '${requestId}' vanished during its claim`)
      if (text(row, 'state') === 'done') {
        return { kind: 'done', serviceRequestId: text(row, 'service_request_id'), taskId: text(row, 'task_id') }
      }
      const staleBefore = new Date(now.getTime() - staleAfterMs).toISOString()
      if (this.#s.takeOverRequestId.run(nowIso, requestId, staleBefore).changes === 1) return { kind: 'claimed' }
      return { kind: 'in-flight' }
    })
  }

  async releaseRequestId (requestId: string): Promise<void> {
    this.#s.releaseRequestId.run(requestId)
  }

  async saveReferral (write: ReferralWrite): Promise<void> {
    // flattened before the transaction: a bad instant is a caller bug, fail before locking
    await this.saveReferralRows(toReferralRows(write, normaliseInstant))
  }

  /** saveReferral of an already flattened write (the writer thread's form, ReferralRows). */
  async saveReferralRows (rows: ReferralRows): Promise<void> {
    // group commit: referrals saved in the same turn of the event loop share one transaction (#commitGroup)
    await this.#saves.add(() => {
      for (const r of rows.resources) this.#s.insertResource.run(...r)
      try {
        this.#s.insertTask.run(...rows.task)
      } catch (err) {
        const reference = rows.task[6]
        if (typeof reference === 'string' && err instanceof Error && err.message.includes(REFERENCE_INDEX)) throw new ReferenceTakenError(reference)
        throw err
      }
      if (rows.outbox !== null) this.#s.insertOutboxRow.run(...rows.outbox)
      for (const values of rows.audit) this.#s.insertAudit.run(...values)
      if (rows.patientKey !== null) this.#s.insertPatientKey.run(...rows.patientKey)
      if (rows.requestId !== null) {
        // claimed_at only matters for an id nobody claimed first; the write's time stands in
        const done = this.#s.completeRequestId.run(rows.requestId, rows.serviceRequestId, rows.task[0], rows.task[4])
        if (done.changes !== 1) throw new RequestIdAlreadyDoneError(rows.requestId)
      }
    })
  }

  async appendAudit (event: AuditRecord): Promise<void> {
    this.#s.insertAudit.run(...auditValues(event))
  }

  async updateTask (write: TaskVersionWrite): Promise<TaskVersionResult> {
    const t = write.task
    checkTaskVersion(t)
    // normalise before the transaction: a bad instant is a caller bug, fail before locking
    const lastUpdated = normaliseInstant(t.lastUpdated)
    const audit = write.audit.map(auditValues)
    const outboxCreatedAt = write.outbox === undefined ? undefined : normaliseInstant(write.outbox.createdAt)
    const others = write.resources ?? []
    checkResources(others.map((r) => r.resource))
    return this.#write((): TaskVersionResult => {
      // the version check is the UPDATE's own condition, inside the write lock: of two
      // updates made from the same version, the second changes no row
      const changed = this.#statement(`UPDATE resources SET version_id = ?, last_updated = ?, content = ?
        WHERE resource_type = 'Task' AND id = ? AND version_id = ?`)
        .run(t.versionId, t.lastUpdated, JSON.stringify(t.resource), t.id, write.expectedVersionId)
      if (Number(changed.changes) === 0) {
        const row = this.#s.selectResource.get('Task', t.id)
        return row === undefined ? { kind: 'not-found' } : { kind: 'version-conflict', currentVersionId: text(row, 'version_id') }
      }
      const indexed = this.#statement('UPDATE tasks SET status = ?, last_updated = ? WHERE id = ?').run(write.status, lastUpdated, t.id)
      // a Task without its search row would vanish from searches; roll the version back
      if (Number(indexed.changes) !== 1) throw new Error(`Task/${t.id} has no search row`)
      for (const { resource: r, expectedVersionId } of others) {
        if (expectedVersionId === undefined) {
          this.#s.insertResource.run(...resourceRow(r, createdScope(write)))
          continue
        }
        const rewritten = this.#statement(`UPDATE resources SET version_id = ?, last_updated = ?, content = ?
          WHERE resource_type = ? AND id = ? AND version_id = ?`)
          .run(r.versionId, r.lastUpdated, JSON.stringify(r.resource), r.resourceType, r.id, expectedVersionId)
        if (Number(rewritten.changes) === 0) {
          // the Task version above is rolled back with it: all or nothing
          const row = this.#s.selectResource.get(r.resourceType, r.id)
          throw new ResourceConflict(r.resourceType, r.id, row === undefined ? undefined : text(row, 'version_id'))
        }
      }
      if (write.outbox !== undefined && outboxCreatedAt !== undefined) this.#insertOutbox(write.outbox, outboxCreatedAt)
      for (const values of audit) this.#s.insertAudit.run(...values)
      if (write.requestId !== undefined) {
        const done = this.#s.completeRequestId.run(write.requestId.id, write.requestId.serviceRequestId, t.id, lastUpdated)
        if (Number(done.changes) !== 1) throw new RequestIdAlreadyDoneError(write.requestId.id)
      }
      return { kind: 'updated' }
    }, (err) => (err instanceof ResourceConflict ? err.result() : undefined))
  }

  #insertOutbox (o: NewOutboxRow, createdAt: string): void {
    this.#s.insertOutbox.run({
      id: o.id,
      partnershipId: o.partnershipId,
      serviceRequestId: o.serviceRequestId,
      taskId: o.taskId,
      createdAt,
      kind: o.kind ?? 'referral',
      payload: o.payload ?? null
    })
  }

  async readResource (resourceType: string, id: string, scope?: AccessScope): Promise<StoredResource | undefined> {
    if (scope === undefined) {
      const row = this.#s.selectResource.get(resourceType, id)
      return row === undefined ? undefined : toStoredResource(row)
    }
    const params: SQLInputValue[] = [resourceType, id]
    const inScope = scopeCondition(scope, 'requester_ods', 'owner', (v) => { params.push(v); return '?' })
    const row = this.#statement(`SELECT resource_type, id, version_id, last_updated, content FROM resources
      WHERE resource_type = ? AND id = ? AND ${inScope}`).get(...params)
    return row === undefined ? undefined : toStoredResource(row)
  }

  async referralsByPatientKey (patientKey: string, since: string, limit: number): Promise<KeyedReferral[]> {
    checkNonNegativeInteger('limit', limit)
    return this.#s.selectByPatientKey.all(patientKey, normaliseInstant(since), limit).map(toKeyedReferral)
  }

  * patientKeysSince (since: string): Iterable<{ key: string, acceptedAt: string }> {
    for (const row of this.#db.prepare('SELECT patient_key, accepted_at FROM patient_keys WHERE accepted_at >= ?').iterate(normaliseInstant(since))) {
      yield { key: text(row, 'patient_key'), acceptedAt: text(row, 'accepted_at') }
    }
  }

  async searchTasks (query: TaskQuery): Promise<TaskSearchResult> {
    checkNonNegativeInteger('count', query.count)
    checkNonNegativeInteger('offset', query.offset)
    const { from, to } = instantBounds(query.lastUpdated ?? [])
    const where: string[] = []
    const params: Record<string, SQLInputValue> = {}
    const filter = (column: string, op: string, name: string, value: string | undefined): void => {
      if (value === undefined) return
      where.push(`t.${column} ${op} :${name}`)
      params[name] = value
    }
    filter('based_on', '=', 'basedOn', query.basedOn)
    filter('reference', '=', 'reference', query.reference)
    filter('owner', '=', 'owner', query.owner)
    filter('status', '=', 'status', query.status)
    filter('last_updated', '>=', 'from', from)
    filter('last_updated', '<', 'to', to)
    if (query.scope !== undefined) {
      let n = 0
      where.push(scopeCondition(query.scope, 't.requester_ods', 't.owner', (v) => { const name = `scope${n++}`; params[name] = v; return `:${name}` }))
    }
    const whereSql = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`

    const pageWhere = query.after === undefined ? where : [...where, '(t.last_updated > :afterLastUpdated OR (t.last_updated = :afterLastUpdated AND t.id > :afterId))']
    const pageParams = query.after === undefined ? params : { ...params, afterLastUpdated: query.after.lastUpdated, afterId: query.after.id }
    const pageWhereSql = pageWhere.length === 0 ? '' : `WHERE ${pageWhere.join(' AND ')}`

    return this.#read(() => {
      const totalRow = this.#statement(`SELECT count(*) AS total FROM tasks t ${whereSql}`).get(params)
      const total = totalRow === undefined ? 0 : int(totalRow, 'total')
      // _count=0 asks for the total only
      const rows = query.count === 0 || query.offset >= total
        ? []
        : this.#statement(`SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.content
            FROM tasks t JOIN resources r ON r.resource_type = t.resource_type AND r.id = t.id
            ${pageWhereSql} ORDER BY t.last_updated, t.id LIMIT :count OFFSET :offset`)
          .all({ ...pageParams, count: query.count, offset: query.offset })
      return { total, tasks: rows.map(toStoredResource) }
    })
  }

  async listDeliveries (filter: DeliveryFilter): Promise<OutboxRow[]> {
    checkNonNegativeInteger('limit', filter.limit)
    const where: string[] = []
    const params: Record<string, SQLInputValue> = { limit: filter.limit }
    if (filter.partnershipId !== undefined) {
      where.push('partnership_id = :partnershipId')
      params.partnershipId = filter.partnershipId
    }
    if (filter.serviceRequestId !== undefined) {
      where.push('service_request_id = :serviceRequestId')
      params.serviceRequestId = filter.serviceRequestId
    }
    if (filter.status !== undefined) {
      where.push('status = :status')
      params.status = filter.status
    }
    const whereSql = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`
    const sql = `SELECT * FROM outbox ${whereSql} ORDER BY created_at DESC, id DESC LIMIT :limit`
    return this.#statement(sql).all(params).map(toOutboxRow)
  }

  async claimDueDeliveries (now: Date, limit: number, leaseMs: number, filter: ClaimFilter = {}): Promise<OutboxRow[]> {
    checkNonNegativeInteger('limit', limit)
    // LIMIT 0 would be fine, but a negative LIMIT means "no limit" to SQLite
    if (limit === 0 || filter.partnershipIds?.length === 0) return []
    const params: Record<string, SQLInputValue> = { now: now.toISOString(), leaseUntil: new Date(now.getTime() + leaseMs).toISOString(), limit }
    const where: string[] = []
    // one named parameter per id keeps the statement shape cacheable per list length
    const inList = (name: string, ids: string[]): string => ids.map((id, i) => { params[`${name}${i}`] = id; return `:${name}${i}` }).join(', ')
    if (filter.partnershipIds !== undefined) where.push(`AND partnership_id IN (${inList('p', filter.partnershipIds)})`)
    if (filter.excludePartnershipIds !== undefined && filter.excludePartnershipIds.length > 0) {
      where.push(`AND partnership_id NOT IN (${inList('x', filter.excludePartnershipIds)})`)
    }
    const rows = this.#statement(`UPDATE outbox SET lease_until = :leaseUntil
      WHERE id IN (
        SELECT id FROM outbox
        WHERE status = 'pending' AND next_attempt_at <= :now AND (lease_until IS NULL OR lease_until < :now) ${where.join(' ')}
        ORDER BY next_attempt_at, created_at, id
        LIMIT :limit)
      RETURNING *`).all(params)
    return rows.map(toOutboxRow).sort(byDueThenCreated)
  }

  async settleDeliveries (settlements: DeliverySettlement[], now: Date, audit: AuditRecord[] = []): Promise<void> {
    if (settlements.length === 0 && audit.length === 0) return
    const at = now.toISOString()
    const auditRows = audit.map(auditValues)
    // only pending rows change: a worker whose lease ran out may report late, after another
    // worker already settled the row, and must not undo that
    const delivered = this.#statement(`UPDATE outbox
      SET status = 'delivered', attempts = attempts + 1, lease_until = NULL, last_response_status = ?, updated_at = ?
      WHERE id = ? AND status = 'pending'`)
    const retry = this.#statement(`UPDATE outbox
      SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, last_response_status = ?, lease_until = NULL, updated_at = ?
      WHERE id = ? AND status = 'pending'`)
    const dead = this.#statement(`UPDATE outbox
      SET status = 'dead-letter', attempts = attempts + 1, last_error = ?, last_response_status = ?, lease_until = NULL, updated_at = ?
      WHERE id = ? AND status = 'pending'`)
    const deferred = this.#statement(`UPDATE outbox
      SET next_attempt_at = ?, lease_until = NULL, updated_at = ?
      WHERE id = ? AND status = 'pending'`)
    this.#write(() => {
      for (const s of settlements) {
        switch (s.outcome) {
          case 'delivered':
            delivered.run(s.responseStatus ?? null, at, s.id)
            break
          case 'retry':
            retry.run(s.nextAttemptAt.toISOString(), s.error, s.responseStatus ?? null, at, s.id)
            break
          case 'dead-letter':
            dead.run(s.error, s.responseStatus ?? null, at, s.id)
            break
          case 'deferred':
            deferred.run(s.nextAttemptAt.toISOString(), at, s.id)
            break
        }
      }
      for (const values of auditRows) this.#s.insertAudit.run(...values)
    })
  }

  async replayDelivery (id: string, now: Date): Promise<ReplayResult> {
    const at = now.toISOString()
    return this.#write((): ReplayResult => {
      // last_error stays: it tells the operator what the replayed row failed with before
      const replayed = this.#statement(`UPDATE outbox
        SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL, updated_at = ?
        WHERE id = ? AND status = 'dead-letter'
        RETURNING *`).get(at, at, id)
      if (replayed !== undefined) return { kind: 'replayed', row: toOutboxRow(replayed) }
      const row = this.#statement('SELECT * FROM outbox WHERE id = ?').get(id)
      return row === undefined ? { kind: 'not-found' } : { kind: 'not-dead-letter', row: toOutboxRow(row) }
    })
  }

  async outboxStats (): Promise<OutboxStats> {
    const row = this.#statement(`SELECT
        (SELECT count(*) FROM outbox WHERE status = 'pending') AS pending,
        (SELECT count(*) FROM outbox WHERE status = 'dead-letter') AS dead_letter,
        (SELECT min(created_at) FROM outbox WHERE status = 'pending') AS oldest`).get()
    return toOutboxStats(row ?? {})
  }

  async saveCircuit (circuit: CircuitRecord): Promise<void> {
    this.#statement(`INSERT INTO delivery_circuits (partnership_id, state, consecutive_failures, opened_at, open_until, updated_at)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (partnership_id) DO UPDATE SET state = excluded.state, consecutive_failures = excluded.consecutive_failures,
        opened_at = excluded.opened_at, open_until = excluded.open_until, updated_at = excluded.updated_at`)
      .run(circuit.partnershipId, circuit.state, circuit.consecutiveFailures, circuit.openedAt ?? null, circuit.openUntil ?? null,
        normaliseInstant(circuit.updatedAt))
  }

  async searchAudit (query: AuditQuery): Promise<AuditRecord[]> {
    return this.#statement(AUDIT_SEARCH_SQL.sqlite).all(...auditSearchValues(query)).map(toAuditRecord)
  }

  async listCircuits (): Promise<CircuitRecord[]> {
    return this.#statement('SELECT * FROM delivery_circuits ORDER BY partnership_id').all().map(toCircuitRecord)
  }

  async prune (cutoffs: PruneCutoffs, dryRun: boolean): Promise<PruneCounts> {
    const delivered = cutoffs.deliveredBefore.toISOString()
    const audit = cutoffs.auditBefore.toISOString()
    // only delivered rows: pending and dead-letter rows are work not yet done
    const outboxWhere = 'status = \'delivered\' AND updated_at < ?'
    if (dryRun) {
      const row = this.#statement(`SELECT (SELECT count(*) FROM outbox WHERE ${outboxWhere}) AS delivered,
        (SELECT count(*) FROM audit_events WHERE recorded < ?) AS audit`).get(delivered, audit)
      return { deliveredRows: row === undefined ? 0 : int(row, 'delivered'), auditRecords: row === undefined ? 0 : int(row, 'audit') }
    }
    const inBatches = async (sql: string, before: string): Promise<number> => {
      let total = 0
      for (;;) {
        const n = Number(this.#write(() => this.#statement(sql).run(before, PRUNE_BATCH).changes))
        total += n
        if (n < PRUNE_BATCH) return total
        // let the queued writes (referrals, outcomes) have the lock between batches
        await new Promise((resolve) => { setImmediate(resolve) })
      }
    }
    return {
      deliveredRows: await inBatches(`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE ${outboxWhere} LIMIT ?)`, delivered),
      auditRecords: await inBatches('DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE recorded < ? LIMIT ?)', audit)
    }
  }

  async ping (): Promise<boolean> {
    if (!this.#db.isOpen) return false
    try {
      const row = this.#s.ping.get()
      return row !== undefined && int(row, 'version') === latestMigration
    } catch {
      return false
    }
  }

  async close (): Promise<void> {
    // referrals already handed to saveReferral are written (or fail) before the file closes
    await this.#saves.drain()
    if (this.#db.isOpen) this.#db.close()
  }

  /**
   * One group of referral writes (group-commit.ts; a commit per referral caps intake at the
   * disk's fsync rate, docs/decisions/sqlite-writer.md): all in ONE transaction; if one fails,
   * the group again with each write in a savepoint, so it rolls back and fails alone. Callers
   * are answered only after the COMMIT (synchronous=FULL), so a 2xx still means the referral
   * is on disk.
   */
  #commitGroup (batch: ReadonlyArray<() => void>): void | ItemOutcome[] {
    // Optimistic first: the whole batch without savepoints. Inside a savepoint SQLite copies
    // every page a write first touches into a statement journal (spilled to a temp file past
    // 64 KiB), and a referral touches ~20 pages; a write fails only on a caller bug or a lost
    // X-Request-Id race, and then the batch is redone below with a savepoint per write.
    this.#s.begin.run()
    try {
      for (const apply of batch) apply()
    } catch {
      if (this.#db.isOpen && this.#db.isTransaction) this.#s.rollback.run()
      return this.#commitEach(batch)
    }
    try {
      this.#s.commit.run()
    } catch (err) {
      if (this.#db.isOpen && this.#db.isTransaction) this.#s.rollback.run()
      throw err
    }
  }

  /** The batch again, each write in its own savepoint: the ones that fail roll back alone. */
  #commitEach (batch: ReadonlyArray<() => void>): ItemOutcome[] {
    const outcomes: ItemOutcome[] = []
    try {
      this.#s.begin.run()
      for (const apply of batch) {
        this.#s.savepoint.run()
        try {
          apply()
          this.#s.releaseSavepoint.run()
          outcomes.push({ ok: true })
        } catch (error) {
          this.#s.rollbackToSavepoint.run()
          this.#s.releaseSavepoint.run()
          outcomes.push({ ok: false, error })
        }
      }
      this.#s.commit.run()
    } catch (err) {
      if (this.#db.isOpen && this.#db.isTransaction) this.#s.rollback.run()
      // nothing of the batch was committed
      throw err
    }
    return outcomes
  }

  /**
   * Runs fn in a write transaction; any error rolls everything back and is rethrown, unless
   * `answer` turns it into a result (after the rollback).
   */
  #write<T>(fn: () => T, answer?: (err: unknown) => T | undefined): T {
    try {
      return this.#transaction(this.#s.begin, fn)
    } catch (err) {
      const result = answer?.(err)
      if (result === undefined) throw err
      return result
    }
  }

  /** Runs fn in a read transaction, so several queries see one snapshot. */
  #read<T>(fn: () => T): T {
    return this.#transaction(this.#s.beginRead, fn)
  }

  #transaction<T>(begin: StatementSync, fn: () => T): T {
    begin.run()
    try {
      const result = fn()
      this.#s.commit.run()
      return result
    } catch (err) {
      // SQLite may already have rolled back by itself (e.g. on some I/O errors)
      if (this.#db.isTransaction) this.#s.rollback.run()
      throw err
    }
  }

  #statement (sql: string): StatementSync {
    let statement = this.#byShape.get(sql)
    if (statement === undefined) {
      statement = this.#db.prepare(sql)
      this.#byShape.set(sql, statement)
    }
    return statement
  }
}

function auditValues (event: AuditRecord): SQLInputValue[] {
  return auditColumns(event, normaliseInstant)
}
