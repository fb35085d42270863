import type {
  KeyedReferral,
  AuditRecord,
  CircuitRecord,
  ClaimFilter,
  DeliverySettlement,
  ReplayResult,
  DeliveryFilter,
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
} from '../../../src/store/store.ts'

/**
 * An in-memory Store for unit tests of the delivery worker. It keeps the outbox semantics
 * the worker relies on (due + unleased claims, leases, attempt counting) and the rest just
 * well enough to satisfy the interface. Every outbox transition is also appended to `log`.
 */
export class MemoryStore implements Store {
  readonly resources = new Map<string, StoredResource>()
  readonly outbox = new Map<string, OutboxRow>()
  readonly audit: AuditRecord[] = []
  readonly log: Array<{ id: string, to: 'delivered' | 'retry' | 'dead-letter' | 'deferred', at: string }> = []
  private readonly requestIds = new Map<string, { at: number, done?: { serviceRequestId: string, taskId: string } }>()

  async claimRequestId (requestId: string, now: Date, staleAfterMs: number): Promise<RequestIdClaim> {
    const claim = this.requestIds.get(requestId)
    if (claim?.done !== undefined) {
      return { kind: 'done', ...claim.done }
    }
    if (claim !== undefined && now.getTime() - claim.at < staleAfterMs) {
      return { kind: 'in-flight' }
    }
    this.requestIds.set(requestId, { at: now.getTime() })
    return { kind: 'claimed' }
  }

  async releaseRequestId (requestId: string): Promise<void> {
    this.requestIds.delete(requestId)
  }

  async saveReferral (write: ReferralWrite): Promise<void> {
    for (const r of write.resources) {
      this.resources.set(`${r.resourceType}/${r.id}`, structuredClone(r))
    }
    if (write.outbox !== undefined) {
      this.outbox.set(write.outbox.id, {
        ...write.outbox,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: write.outbox.createdAt,
        updatedAt: write.outbox.createdAt
      })
    }
    this.audit.push(...write.audit)
    if (write.requestId !== undefined) {
      this.requestIds.set(write.requestId, { at: 0, done: { serviceRequestId: write.serviceRequestId, taskId: write.task.id } })
    }
  }

  async appendAudit (event: AuditRecord): Promise<void> {
    this.audit.push(event)
  }

  async updateTask (write: TaskVersionWrite): Promise<TaskVersionResult> {
    const key = `Task/${write.task.id}`
    const current = this.resources.get(key)
    if (current === undefined) return { kind: 'not-found' }
    if (current.versionId !== write.expectedVersionId) return { kind: 'version-conflict', currentVersionId: current.versionId }
    this.resources.set(key, structuredClone(write.task))
    this.audit.push(...write.audit)
    return { kind: 'updated' }
  }

  async readResource (resourceType: string, id: string): Promise<StoredResource | undefined> {
    const found = this.resources.get(`${resourceType}/${id}`)
    return found === undefined ? undefined : structuredClone(found)
  }

  /** delivery tests store no patient keys */
  async referralsByPatientKey (): Promise<KeyedReferral[]> {
    return []
  }

  async searchTasks (query: TaskQuery): Promise<TaskSearchResult> {
    const tasks = [...this.resources.values()].filter((r) => r.resourceType === 'Task')
    return { total: tasks.length, tasks: tasks.slice(query.offset, query.offset + query.count) }
  }

  readonly circuits = new Map<string, CircuitRecord>()

  async claimDueDeliveries (now: Date, limit: number, leaseMs: number): Promise<OutboxRow[]> {
    return this.claimDueDeliveriesFor(now, limit, leaseMs, {})
  }

  async claimDueDeliveriesFor (now: Date, limit: number, leaseMs: number, filter: ClaimFilter): Promise<OutboxRow[]> {
    const t = now.getTime()
    const due = [...this.outbox.values()]
      .filter((r) => r.status === 'pending' && Date.parse(r.nextAttemptAt) <= t &&
        (r.leaseUntil === undefined || Date.parse(r.leaseUntil) <= t) &&
        (filter.partnershipIds === undefined || filter.partnershipIds.includes(r.partnershipId)) &&
        !(filter.excludePartnershipIds ?? []).includes(r.partnershipId))
      .sort((a, b) => Date.parse(a.nextAttemptAt) - Date.parse(b.nextAttemptAt))
      .slice(0, limit)
    for (const row of due) {
      row.leaseUntil = new Date(t + leaseMs).toISOString()
    }
    return due.map((r) => structuredClone(r))
  }

  async markDelivered (id: string, now: Date, responseStatus: number): Promise<void> {
    this.finish(id, now, 'delivered', { status: 'delivered', lastResponseStatus: responseStatus })
  }

  async scheduleRetry (id: string, nextAttemptAt: Date, error: string, now: Date): Promise<void> {
    this.finish(id, now, 'retry', { status: 'pending', nextAttemptAt: nextAttemptAt.toISOString(), lastError: error })
  }

  async markDeadLetter (id: string, error: string, now: Date): Promise<void> {
    this.finish(id, now, 'dead-letter', { status: 'dead-letter', lastError: error })
  }

  async listDeliveries (filter: DeliveryFilter): Promise<OutboxRow[]> {
    return [...this.outbox.values()]
      .filter((r) => (filter.partnershipId === undefined || r.partnershipId === filter.partnershipId) &&
        (filter.serviceRequestId === undefined || r.serviceRequestId === filter.serviceRequestId) &&
        (filter.status === undefined || r.status === filter.status))
      .slice(0, filter.limit)
      .map((r) => structuredClone(r))
  }

  async settleDeliveries (settlements: DeliverySettlement[], now: Date, audit: AuditRecord[] = []): Promise<void> {
    this.audit.push(...audit)
    for (const s of settlements) {
      if (this.outbox.get(s.id)?.status !== 'pending') continue
      switch (s.outcome) {
        case 'delivered':
          this.finish(s.id, now, 'delivered', { status: 'delivered', ...(s.responseStatus === undefined ? {} : { lastResponseStatus: s.responseStatus }) })
          break
        case 'retry':
          await this.scheduleRetry(s.id, s.nextAttemptAt, s.error, now)
          this.patch(s.id, { lastResponseStatus: s.responseStatus })
          break
        case 'dead-letter':
          await this.markDeadLetter(s.id, s.error, now)
          this.patch(s.id, { lastResponseStatus: s.responseStatus })
          break
        case 'deferred':
          this.patch(s.id, { nextAttemptAt: s.nextAttemptAt.toISOString(), leaseUntil: undefined, updatedAt: now.toISOString() })
          this.log.push({ id: s.id, to: 'deferred', at: now.toISOString() })
          break
      }
    }
  }

  async readDelivery (id: string): Promise<OutboxRow | undefined> {
    const row = this.outbox.get(id)
    return row === undefined ? undefined : structuredClone(row)
  }

  async replayDelivery (id: string, now: Date): Promise<ReplayResult> {
    const row = this.outbox.get(id)
    if (row === undefined) return { kind: 'not-found' }
    if (row.status !== 'dead-letter') return { kind: 'not-dead-letter', row: structuredClone(row) }
    Object.assign(row, { status: 'pending', attempts: 0, nextAttemptAt: now.toISOString(), leaseUntil: undefined, updatedAt: now.toISOString() })
    return { kind: 'replayed', row: structuredClone(row) }
  }

  async saveCircuit (circuit: CircuitRecord): Promise<void> {
    this.circuits.set(circuit.partnershipId, structuredClone(circuit))
  }

  async searchAudit (query: { entity?: string, agent?: string, limit: number }): Promise<AuditRecord[]> {
    return this.audit.filter((a) => (query.entity === undefined || a.entity === query.entity) && (query.agent === undefined || a.agent.includes(query.agent)))
      .sort((a, b) => (a.recorded === b.recorded ? b.id.localeCompare(a.id) : b.recorded.localeCompare(a.recorded))).slice(0, query.limit)
  }

  async prune (cutoffs: PruneCutoffs, dryRun: boolean): Promise<PruneCounts> {
    const delivered = [...this.outbox.values()].filter((r) => r.status === 'delivered' && r.updatedAt < cutoffs.deliveredBefore.toISOString())
    const audit = this.audit.filter((a) => a.recorded < cutoffs.auditBefore.toISOString())
    if (!dryRun) {
      for (const r of delivered) this.outbox.delete(r.id)
      for (const a of audit) this.audit.splice(this.audit.indexOf(a), 1)
    }
    return { deliveredRows: delivered.length, auditRecords: audit.length }
  }

  async listCircuits (): Promise<CircuitRecord[]> {
    return [...this.circuits.values()].map((c) => structuredClone(c))
  }

  async outboxStats (): Promise<OutboxStats> {
    const pending = [...this.outbox.values()].filter((r) => r.status === 'pending')
    const oldest = pending.map((r) => r.createdAt).sort()[0]
    return { pending: pending.length, deadLetter: [...this.outbox.values()].filter((r) => r.status === 'dead-letter').length, ...(oldest === undefined ? {} : { oldestPendingCreatedAt: oldest }) }
  }

  async ping (): Promise<boolean> {
    return true
  }

  async close (): Promise<void> {}

  /** Test helper: the row as stored now. */
  row (id: string): OutboxRow {
    const row = this.outbox.get(id)
    if (row === undefined) {
      throw new Error(`no outbox row ${id}`)
    }
    return structuredClone(row)
  }

  private patch (id: string, patch: Partial<OutboxRow>): void {
    const row = this.outbox.get(id)
    if (row === undefined) return
    for (const [key, value] of Object.entries(patch)) {
      // optional fields are left out rather than set to undefined, as the SQLite store does
      if (value === undefined) Reflect.deleteProperty(row, key)
      else Reflect.set(row, key, value)
    }
  }

  private finish (id: string, now: Date, to: 'delivered' | 'retry' | 'dead-letter', patch: Partial<OutboxRow>): void {
    const row = this.outbox.get(id)
    if (row === undefined) {
      throw new Error(`no outbox row ${id}`)
    }
    // every recorded outcome is one attempt, and it ends the lease
    Object.assign(row, patch, { attempts: row.attempts + 1, updatedAt: now.toISOString() })
    delete row.leaseUntil
    this.log.push({ id, to, at: now.toISOString() })
  }
}
