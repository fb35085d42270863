import type { Patient, ServiceRequest, Task } from '@medplum/fhirtypes'
import { mayUpdateTask, ownerOf, readScope, updateScope } from '../auth/access-policy.ts'
import { auditAgent, type Principal } from '../auth/principal.ts'
import { auditRecord } from '../audit/audit-record.ts'
import { circuitView } from '../delivery/delivery-view.ts'
import { englandDate } from '../england-date.ts'
import { commitTaskUpdate, type CommitTaskDeps, type CommitTaskResult } from '../lifecycle/commit-task-update.ts'
import type { Partnership } from '../routing/partnership.ts'
import type { AccessScope, AuditRecord, CircuitState, OutboxRow, StoredResource, Store } from '../store/store.ts'
import type { ResolvedRules } from '../triage/rules.ts'
import { normaliseReference, referenceIdentifier } from '../reference/referral-reference.ts'

/**
 * Everything the console reads or changes goes through this one module: the Store and the
 * API's scoped store reads (readScope, updateScope) and write path (commitTaskUpdate),
 * never a copy of them. When the store offers views scoped to the caller, or the delivery
 * engine a list of alerts, only this module changes.
 */

/** An alert at the top of the operator home. The narrow input the console needs from delivery. */
export interface ConsoleAlert {
  level: 'warning' | 'error'
  /** the partnership it concerns, when it concerns one */
  partnershipId?: string
  text: string
  /** when the condition began, ISO instant */
  since?: string
}

/** Where alerts come from: today derived from the store (see {@link alertsFromStore}). */
export type AlertSource = (now: Date) => Promise<ConsoleAlert[]>

export interface PartnershipRow {
  id: string
  name: string
  /** pending and not leased by a worker */
  pending: number
  /** pending and leased by a worker right now */
  inFlight: number
  deliveredToday: number
  deadLetters: number
  oldestPendingAgeMs?: number
  circuit: CircuitState
  rulesVersion: string
}

/** A Task as a list shows it: no patient details (they appear on the Task's own page only). */
export interface TaskSummary {
  id: string
  versionId: string
  status: Task['status']
  priority: string
  owner: string
  /** the owning partnership's name as the Task records it */
  ownerName: string
  authoredOn: string
  lastModified: string
  outcome?: string
  /** the triage outcome code (businessStatus) */
  triage?: string
  /** the referral reference people read out (WW-…), when the referral has one */
  reference?: string
}

export interface TaskDetail {
  stored: StoredResource & { resource: Task }
  serviceRequest?: ServiceRequest
  patient?: Patient
  mayUpdate: boolean
}

export interface ReferralTrail {
  serviceRequest: StoredResource
  tasks: Array<StoredResource & { resource: Task }>
  deliveries: OutboxRow[]
  audit: AuditRecord[]
}

export interface HourBucket { start: string, delivered: number, deadLettered: number }
export interface DepthPoint { at: string, depth: number }
export interface PlotData {
  perPartnership: Array<{ id: string, delivered: number, deadLettered: number }>
  hourly: HourBucket[]
  depth: DepthPoint[]
  /** true when a status held more rows than were read (the plots are then a lower bound) */
  capped: boolean
}

export interface ConsoleDataDeps extends CommitTaskDeps {
  store: Store
  partnerships: Map<string, Partnership>
  triageRules: Map<string, ResolvedRules>
  alerts?: AlertSource
}

/** Rows read per delivery status for the overview; more are shown as "at least". */
export const ROW_CAP = 5000
const PRIORITY_ORDER = ['stat', 'asap', 'urgent', 'routine']
const DAY_MS = 24 * 3600_000

/** Who the console acts as, for audit records: the same agent text the API writes. */
export interface ConsoleActor { principal: Principal, correlationId: string }

/** Alerts from what the store keeps today: partnerships with dead letters, and open circuits. */
export function alertsFromStore (store: Pick<Store, 'listDeliveries' | 'listCircuits'>): AlertSource {
  return async (now) => {
    const [dead, circuits] = await Promise.all([store.listDeliveries({ status: 'dead-letter', limit: ROW_CAP }), store.listCircuits()])
    const alerts: ConsoleAlert[] = []
    for (const c of circuits.map((r) => circuitView(r, now))) {
      if (c.state !== 'closed') {
        alerts.push({ level: 'error', partnershipId: c.partnershipId, text: `Circuit ${c.state}: deliveries to ${c.partnershipId} are paused after ${c.consecutiveFailures} failures in a row`, ...(c.openedAt === undefined ? {} : { since: c.openedAt }) })
      }
    }
    const byPartnership = new Map<string, OutboxRow[]>()
    for (const row of dead) byPartnership.set(row.partnershipId, [...(byPartnership.get(row.partnershipId) ?? []), row])
    for (const [id, rows] of byPartnership) {
      const since = rows.map((r) => r.updatedAt).sort()[0]
      alerts.push({ level: 'warning', partnershipId: id, text: `${rows.length} dead letter${rows.length === 1 ? '' : 's'} for ${id}`, ...(since === undefined ? {} : { since }) })
    }
    return alerts
  }
}

function summary (stored: StoredResource): TaskSummary {
  const t = stored.resource as Task
  const outcome = t.output?.map((o) => o.valueCodeableConcept?.coding?.find((c) => c.system?.endsWith('/referral-outcome') === true)?.code).find((c) => c !== undefined)
  const reference = t.identifier?.find((i) => i.system === referenceIdentifier('').system)?.value
  return {
    id: stored.id,
    versionId: stored.versionId,
    status: t.status,
    priority: t.priority ?? 'routine',
    owner: ownerOf(t) ?? '',
    ownerName: t.owner?.display ?? ownerOf(t) ?? 'Not known',
    authoredOn: t.authoredOn ?? stored.lastUpdated,
    lastModified: t.lastModified ?? stored.lastUpdated,
    ...(outcome === undefined ? {} : { outcome }),
    ...(t.businessStatus?.coding?.[0]?.code === undefined ? {} : { triage: t.businessStatus.coding[0].code }),
    ...(reference === undefined ? {} : { reference })
  }
}

/** Urgent first, then the oldest first (a worklist is worked from its oldest urgent item). */
export function byUrgency (a: TaskSummary, b: TaskSummary): number {
  const pa = PRIORITY_ORDER.indexOf(a.priority)
  const pb = PRIORITY_ORDER.indexOf(b.priority)
  return (pa < 0 ? 9 : pa) - (pb < 0 ? 9 : pb) || a.authoredOn.localeCompare(b.authoredOn) || a.id.localeCompare(b.id)
}

function referenceId (ref: string | undefined, type: string): string | undefined {
  const m = new RegExp(`^${type}/([A-Za-z0-9\\-.]{1,64})$`).exec(ref ?? '')
  return m?.[1]
}

export interface WorklistFilter { status?: string, priority?: string, outcome?: string }

export interface ConsoleData {
  alerts(now: Date): Promise<ConsoleAlert[]>
  partnershipRows(now: Date): Promise<PartnershipRow[]>
  deadLetters(partnershipId: string): Promise<OutboxRow[]>
  /** a dead letter back to pending, audited as the admin API's $replay */
  replay(actor: ConsoleActor, outboxId: string): Promise<'replayed' | 'not-found' | 'not-dead-letter'>
  replayAll(actor: ConsoleActor, partnershipId: string): Promise<number>
  /** a referral by ServiceRequest or Task id, for an operator */
  findReferral(actor: ConsoleActor, id: string): Promise<ReferralTrail | undefined>
  worklist(actor: ConsoleActor, filter: WorklistFilter): Promise<TaskSummary[]>
  /** the Task when the caller may read it, else undefined (as unknown: existence must not leak) */
  task(actor: ConsoleActor, id: string): Promise<TaskDetail | undefined>
  /** the referrer's referrals (the Tasks their ODS codes requested), newest first */
  referrals(actor: ConsoleActor, limit: number): Promise<TaskSummary[]>
  /**
   * A partnership's change to a Task, through the API's write path; 'not-found' also when the
   * caller may not change it, 'stale' when `expectedVersionId` is no longer current.
   */
  updateTask(actor: ConsoleActor, id: string, expectedVersionId: string, change: (task: Task) => Task): Promise<CommitTaskResult | { kind: 'stale', currentVersionId: string }>
  plots(now: Date): Promise<PlotData>
}

export function createConsoleData (deps: ConsoleDataDeps): ConsoleData {
  const { store } = deps
  const alerts = deps.alerts ?? alertsFromStore(store)

  async function audit (actor: ConsoleActor, input: { action: AuditRecord['action'], subtype: string, entity: string }): Promise<void> {
    await store.appendAudit(auditRecord(deps.newId(), deps.clock.now(), { ...input, agent: auditAgent(actor.principal), correlationId: actor.correlationId }))
  }

  /** A Task inside a scope (an operator's support view reads without one). */
  async function readTask (id: string, scope?: AccessScope): Promise<(StoredResource & { resource: Task }) | undefined> {
    const stored = await store.readResource('Task', id, scope)
    return stored?.resource.resourceType === 'Task' ? { ...stored, resource: stored.resource } : undefined
  }

  async function rowsByStatus (): Promise<{ pending: OutboxRow[], dead: OutboxRow[], delivered: OutboxRow[], capped: boolean }> {
    const [pending, dead, delivered] = await Promise.all([
      store.listDeliveries({ status: 'pending', limit: ROW_CAP }),
      store.listDeliveries({ status: 'dead-letter', limit: ROW_CAP }),
      store.listDeliveries({ status: 'delivered', limit: ROW_CAP })
    ])
    return { pending, dead, delivered, capped: [pending, dead, delivered].some((r) => r.length >= ROW_CAP) }
  }

  return {
    alerts,

    async partnershipRows (now) {
      const [{ pending, dead, delivered }, circuits] = await Promise.all([rowsByStatus(), store.listCircuits()])
      const today = englandDate(now)
      const circuitOf = new Map(circuits.map((c) => [c.partnershipId, circuitView(c, now).state]))
      return [...deps.partnerships.values()].map((p) => {
        const own = pending.filter((r) => r.partnershipId === p.id)
        const leased = own.filter((r) => r.leaseUntil !== undefined && Date.parse(r.leaseUntil) > now.getTime())
        const oldest = own.map((r) => r.createdAt).sort()[0]
        return {
          id: p.id,
          name: p.name,
          pending: own.length - leased.length,
          inFlight: leased.length,
          deliveredToday: delivered.filter((r) => r.partnershipId === p.id && englandDate(new Date(r.updatedAt)) === today).length,
          deadLetters: dead.filter((r) => r.partnershipId === p.id).length,
          ...(oldest === undefined ? {} : { oldestPendingAgeMs: now.getTime() - Date.parse(oldest) }),
          circuit: circuitOf.get(p.id) ?? 'closed',
          rulesVersion: deps.triageRules.get(p.id)?.version ?? 'none'
        }
      })
    },

    async deadLetters (partnershipId) {
      return store.listDeliveries({ partnershipId, status: 'dead-letter', limit: ROW_CAP })
    },

    async replay (actor, outboxId) {
      const result = await store.replayDelivery(outboxId, deps.clock.now())
      if (result.kind !== 'replayed') return result.kind
      await audit(actor, { action: 'E', subtype: 'delivery-replay', entity: `ServiceRequest/${result.row.serviceRequestId}` })
      return 'replayed'
    },

    async replayAll (actor, partnershipId) {
      let count = 0
      for (const row of await store.listDeliveries({ partnershipId, status: 'dead-letter', limit: ROW_CAP })) {
        if (await this.replay(actor, row.id) === 'replayed') count++
      }
      return count
    },

    async findReferral (actor, id) {
      // a referral reference as people read it out (WW-…), else a ServiceRequest or Task id
      const reference = normaliseReference(id)
      const byReference = reference === undefined ? undefined : (await store.searchTasks({ reference, count: 1, offset: 0 })).tasks[0]
      const asked = byReference === undefined ? id : referenceId((byReference.resource as Task).basedOn?.[0]?.reference, 'ServiceRequest') ?? id
      let sr = await store.readResource('ServiceRequest', asked)
      if (sr === undefined) {
        const task = await readTask(id)
        const srId = referenceId(task?.resource.basedOn?.[0]?.reference, 'ServiceRequest')
        sr = srId === undefined ? undefined : await store.readResource('ServiceRequest', srId)
      }
      if (sr === undefined) return undefined
      const tasks = (await store.searchTasks({ basedOn: `ServiceRequest/${sr.id}`, count: 20, offset: 0 })).tasks
        .map((t) => ({ ...t, resource: t.resource as Task }))
      const [deliveries, srAudit, ...taskAudits] = await Promise.all([
        store.listDeliveries({ serviceRequestId: sr.id, limit: 100 }),
        store.searchAudit({ entity: `ServiceRequest/${sr.id}`, limit: 200 }),
        ...tasks.map(async (t) => store.searchAudit({ entity: `Task/${t.id}`, limit: 200 }))
      ])
      await audit(actor, { action: 'R', subtype: 'read', entity: `ServiceRequest/${sr.id}` })
      const trail = [...srAudit, ...taskAudits.flat()].sort((a, b) => b.recorded.localeCompare(a.recorded) || b.id.localeCompare(a.id))
      return { serviceRequest: sr, tasks, deliveries, audit: trail }
    },

    async worklist (actor, filter) {
      const p = actor.principal
      if (!p.roles.has('partnership')) return []
      // the partnership's own Tasks, in the query (the same scope as the API's)
      const { tasks } = await store.searchTasks({ scope: updateScope(p), ...(filter.status === undefined ? {} : { status: filter.status }), count: 1000, offset: 0 })
      await audit(actor, { action: 'E', subtype: 'search', entity: 'Task' })
      return tasks
        .map(summary)
        .filter((t) => filter.priority === undefined || t.priority === filter.priority)
        .filter((t) => filter.outcome === undefined || t.outcome === filter.outcome)
        .sort(byUrgency)
    },

    async task (actor, id) {
      const scope = readScope(actor.principal)
      const stored = await readTask(id, scope)
      if (stored === undefined) return undefined
      await audit(actor, { action: 'R', subtype: 'read', entity: `Task/${id}` })
      const srId = referenceId(stored.resource.basedOn?.[0]?.reference, 'ServiceRequest')
      const sr = srId === undefined ? undefined : await store.readResource('ServiceRequest', srId, scope)
      const serviceRequest = sr?.resource.resourceType === 'ServiceRequest' ? sr.resource as ServiceRequest : undefined
      const patientId = referenceId(stored.resource.for?.reference, 'Patient')
      const patient = patientId === undefined ? undefined : (await store.readResource('Patient', patientId, scope))?.resource as Patient | undefined
      return { stored, mayUpdate: mayUpdateTask(actor.principal, stored.resource), ...(serviceRequest === undefined ? {} : { serviceRequest }), ...(patient === undefined ? {} : { patient }) }
    },

    async referrals (actor, limit) {
      const p = actor.principal
      if (!p.roles.has('referrer')) return []
      // the practice's own Tasks (the requester's ODS code is in the query), newest last
      const scope: AccessScope = { odsCodes: p.odsCodes, partnerships: [] }
      const { total } = await store.searchTasks({ scope, count: 0, offset: 0 })
      const { tasks } = await store.searchTasks({ scope, count: limit, offset: Math.max(0, total - limit) })
      await audit(actor, { action: 'E', subtype: 'search', entity: 'Task' })
      return tasks.map(summary)
        .sort((a, b) => b.authoredOn.localeCompare(a.authoredOn)).slice(0, limit)
    },

    async updateTask (actor, id, expectedVersionId, change) {
      const current = await readTask(id, updateScope(actor.principal))
      if (current === undefined) return { kind: 'not-found' }
      if (current.versionId !== expectedVersionId) return { kind: 'stale', currentVersionId: current.versionId }
      return commitTaskUpdate(deps, { agent: auditAgent(actor.principal), correlationId: actor.correlationId, interaction: 'update' }, current, change(structuredClone(current.resource)))
    },

    async plots (now) {
      const { pending, dead, delivered, capped } = await rowsByStatus()
      const from = now.getTime() - DAY_MS
      const inWindow = (r: OutboxRow): boolean => Date.parse(r.updatedAt) > from
      const perPartnership = [...deps.partnerships.keys()].map((id) => ({
        id,
        delivered: delivered.filter((r) => r.partnershipId === id && inWindow(r)).length,
        deadLettered: dead.filter((r) => r.partnershipId === id && inWindow(r)).length
      }))
      const hourly: HourBucket[] = []
      const depth: DepthPoint[] = []
      const settled = [...delivered, ...dead]
      for (let h = 23; h >= 0; h--) {
        const start = now.getTime() - (h + 1) * 3600_000
        const end = start + 3600_000
        const within = (r: OutboxRow): boolean => { const t = Date.parse(r.updatedAt); return t > start && t <= end }
        hourly.push({ start: new Date(start).toISOString(), delivered: delivered.filter(within).length, deadLettered: dead.filter(within).length })
        // a row was in the outbox at `end` if it was created by then and not yet settled
        const waiting = pending.filter((r) => Date.parse(r.createdAt) <= end).length +
          settled.filter((r) => Date.parse(r.createdAt) <= end && Date.parse(r.updatedAt) > end).length
        depth.push({ at: new Date(end).toISOString(), depth: waiting })
      }
      return { perPartnership, hourly, depth, capped }
    }
  }
}
