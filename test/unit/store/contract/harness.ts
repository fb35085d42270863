import { afterEach, beforeEach } from 'vitest'
import type { Patient, Resource, ServiceRequest, Task } from '@medplum/fhirtypes'
import type { AuditRecord, DeliverySettlement, OutboxRow, OutboxStore, ReferralWrite, Store, StoredResource } from '../../../../src/store/store.ts'

/**
 * What the contracts need from one backend: a fresh empty database per test, stores opened
 * on it, and plain SQL through a separate connection (as another process would see it).
 */
export interface StoreHarness {
  /** creates a fresh, empty database (a file, a schema) for the next test */
  fresh: () => Promise<void>
  /** opens a new store on the current database */
  open: () => Promise<Store>
  /** runs SQL on its own connection; returns the rows with integers as numbers */
  sql: (text: string) => Promise<Array<Record<string, unknown>>>
  /** drops the current database */
  dispose: () => Promise<void>
}

export const T0 = '2026-03-01T09:00:00.000Z'
const TABLES = ['resources', 'tasks', 'outbox', 'audit_events', 'request_ids'] as const

/** What a contract's cases use: stores opened on a fresh database (closed after each case) and row counts. */
export interface StoreFixture {
  open: () => Promise<Store>
  count: (table: string) => Promise<number>
  counts: () => Promise<Record<string, number>>
}

/** Registers a fresh database before each case of the enclosing describe, and its clean-up after. */
export function storeFixture (harness: StoreHarness): StoreFixture {
  let opened: Store[] = []
  beforeEach(async () => {
    opened = []
    await harness.fresh()
  })
  afterEach(async () => {
    for (const store of opened) await store.close()
    await harness.dispose()
  })
  const count = async (table: string): Promise<number> => Number((await harness.sql(`SELECT count(*) AS n FROM ${table}`))[0]?.n)
  return {
    async open () {
      const store = await harness.open()
      opened.push(store)
      return store
    },
    count,
    async counts () {
      return Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(t)] as const)))
    }
  }
}

/** Records attempt outcomes the way the delivery worker's settler does. */
export async function settle (store: Pick<OutboxStore, 'settleDeliveries'>, now: Date, ...settlements: DeliverySettlement[]): Promise<void> {
  await store.settleDeliveries(settlements, now)
}

/** One outbox row by id, as an operator's listing shows it (the contracts hold a handful of rows). */
export async function deliveryById (store: Pick<OutboxStore, 'listDeliveries'>, id: string): Promise<OutboxRow | undefined> {
  return (await store.listDeliveries({ limit: 1000 })).find((r) => r.id === id)
}

export function ms (iso: string, plus: number): Date {
  return new Date(Date.parse(iso) + plus)
}

export function stored (resource: Resource): StoredResource {
  return {
    resourceType: resource.resourceType,
    id: resource.id ?? '',
    versionId: resource.meta?.versionId ?? '',
    lastUpdated: resource.meta?.lastUpdated ?? '',
    resource
  }
}

interface ReferralOptions {
  lastUpdated?: string
  owner?: string
  /** the requesting practice's ODS code (the write's scope) */
  requesterOds?: string
  status?: Task['status']
  requestId?: string
  /** outbox row id; false for a referral with no delivery */
  outboxId?: string | false
  createdAt?: string
}

/** A whole referral write numbered n: Patient, ServiceRequest, Task, outbox row, two audit records. */
export function referral (n: string, o: ReferralOptions = {}): ReferralWrite {
  const lastUpdated = o.lastUpdated ?? T0
  const owner = o.owner ?? 'north-east'
  const status = o.status ?? 'requested'
  const meta = { versionId: '1', lastUpdated }
  const patient: Patient = { resourceType: 'Patient', id: `pat-${n}`, meta, name: [{ family: 'Example' }] }
  const serviceRequest: ServiceRequest = {
    resourceType: 'ServiceRequest',
    id: `sr-${n}`,
    meta,
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/pat-${n}` }
  }
  const task: Task = {
    resourceType: 'Task',
    id: `task-${n}`,
    meta,
    status,
    intent: 'order',
    basedOn: [{ reference: `ServiceRequest/sr-${n}` }],
    owner: { identifier: { value: owner } }
  }
  const audit: AuditRecord[] = [
    { id: `audit-${n}-1`, recorded: lastUpdated, action: 'C', subtype: 'create', outcome: '0', agent: 'client-a', entity: `ServiceRequest/sr-${n}`, correlationId: `corr-${n}` },
    { id: `audit-${n}-2`, recorded: lastUpdated, action: 'E', subtype: 'triage', outcome: '0', agent: 'client-a', entity: `ServiceRequest/sr-${n}` }
  ]
  const write: ReferralWrite = {
    resources: [stored(patient), stored(serviceRequest), stored(task)],
    task: { id: `task-${n}`, basedOn: `ServiceRequest/sr-${n}`, owner, status, lastUpdated },
    serviceRequestId: `sr-${n}`,
    scope: { referralId: `sr-${n}`, owner, ...(o.requesterOds === undefined ? {} : { requesterOds: o.requesterOds }) },
    audit
  }
  if (o.requestId !== undefined) write.requestId = o.requestId
  if (o.outboxId !== false) {
    write.outbox = {
      id: o.outboxId ?? `out-${n}`,
      partnershipId: owner,
      serviceRequestId: `sr-${n}`,
      taskId: `task-${n}`,
      createdAt: o.createdAt ?? lastUpdated
    }
  }
  return write
}
