import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import type { Resource, ServiceRequest } from '@medplum/fhirtypes'
import type { DeliveryLogger } from '../../../src/delivery/deliver-row.ts'
import { createCountingScheduler, createManualScheduler } from '../../helpers/manual-scheduler.ts'
import { ENVELOPE_EXTENSIONS } from '../../../src/bars/envelope.ts'
import { SIGNATURE_HEADER, verifySignature } from '../../../src/delivery/signature.ts'
import { createDeliveryWorker } from '../../../src/delivery/worker.ts'
import type { DeliveryWorker, DeliveryWorkerDeps } from '../../../src/delivery/worker.ts'
import { loadMappings } from '../../../src/mapping/load-mapping.ts'
import { mapReferral } from '../../../src/mapping/map-referral.ts'
import type { Mapping } from '../../../src/mapping/mapping.ts'
import type { DeliveryFormat, Partnership } from '../../../src/routing/partnership.ts'
import type { StoredResource } from '../../../src/store/store.ts'
import { nclServiceRequest, triageTask } from '../mapping/referral-fixture.ts'
import { openSqliteTestStore, type SqliteTestStore } from '../../helpers/sqlite-test-store.ts'
import type { Store } from '../../../src/store/store.ts'

const START = Date.parse('2026-11-20T10:20:00.000Z')
const PHI = ['Okafor', 'Adaeze', '9912003888', '1986-04-12', 'N7 6LB', 'Example Road']

// ------------------------------------------------------------------ the partner: a real HTTP server

interface Received { path: string, headers: Record<string, string | string[] | undefined>, body: string }

const received: Received[] = []
const hung: FastifyReply[] = []
let flakyCalls = 0
let partnerDown = true
const SECRET = 'a-test-secret-that-is-long-enough-0123456789'
let partner: FastifyInstance
let base: string

beforeAll(async () => {
  // forceCloseConnections: the hanging route's sockets must not keep close() waiting
  partner = Fastify({ forceCloseConnections: true })
  partner.removeAllContentTypeParsers()
  partner.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => { done(null, body) })
  partner.addHook('preHandler', async (req) => {
    received.push({ path: req.url, headers: req.headers, body: String(req.body) })
  })
  partner.post('/ok', async (_req, reply) => reply.code(201).send({ ok: true }))
  partner.post('/flaky', async (_req, reply) => reply.code(++flakyCalls === 1 ? 503 : 201).send(''))
  partner.post('/bad', async (_req, reply) => reply.code(400).send({ error: 'missing field: surname Okafor' }))
  partner.post('/hang', (_req, reply) => { hung.push(reply) })
  partner.post('/oo400', async (_req, reply) => reply.code(422).type('application/fhir+json').send({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'required', details: { coding: [{ code: 'REC_UNPROCESSABLE_ENTITY' }] }, diagnostics: 'surname Okafor is not on our list', expression: ['Referral.practiceCode'] }]
  }))
  partner.post('/retry-after', async (_req, reply) => reply.code(429).header('retry-after', '120').send(''))
  partner.post('/down', async (_req, reply) => reply.code(partnerDown ? 503 : 201).send(''))
  partner.post('/signed', async (req, reply) => {
    // the worker's clock stands at START
    const ok = verifySignature(req.headers[SIGNATURE_HEADER] as string | undefined, String(req.body), SECRET, new Date(START))
    return reply.code(ok ? 201 : 401).send('')
  })
  await partner.listen({ host: '127.0.0.1', port: 0 })
  base = `http://127.0.0.1:${(partner.server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await partner.close()
})

// ------------------------------------------------------------------ the gateway side

let mappings: Map<string, Mapping>
beforeAll(async () => {
  mappings = await loadMappings(fileURLToPath(new URL('../../../mappings', import.meta.url)), ['frimley', 'north-central-london', 'cambridgeshire-and-peterborough'])
})

const FORMAT_OF: Record<string, DeliveryFormat> = {
  frimley: 'json-record',
  'north-central-london': 'fhir-bundle',
  'cambridgeshire-and-peterborough': 'csv'
}

interface Harness {
  store: Store
  /** the store's rows, read and changed directly */
  db: SqliteTestStore
  worker: DeliveryWorker
  logs: Array<{ level: string, obj: Record<string, unknown>, msg: string }>
  advance: (ms: number) => void
  seed: (outboxId: string, partnershipId: string, sr?: ServiceRequest) => Promise<void>
}

let harness: Harness | undefined

/** A store, a clock, a capturing logger and a worker whose partnerships POST to `paths`. */
async function setup (paths: Record<string, string>, options: Partial<DeliveryWorkerDeps> & { maxAttempts?: number } = {}): Promise<Harness> {
  let now = START
  const db = await openSqliteTestStore()
  const store = db.store
  const logs: Harness['logs'] = []
  const logger: DeliveryLogger = {
    info: (obj, msg) => { logs.push({ level: 'info', obj, msg }) },
    warn: (obj, msg) => { logs.push({ level: 'warn', obj, msg }) },
    error: (obj, msg) => { logs.push({ level: 'error', obj, msg }) }
  }
  const partnerships = new Map<string, Partnership>(Object.entries(paths).map(([id, path]) => [id, {
    id,
    name: id,
    leadIcbs: [],
    practices: [],
    postcodeDistricts: [],
    sources: [],
    delivery: { endpoint: /^(https?|file):/.test(path) ? path : `${base}${path}`, format: FORMAT_OF[id] ?? 'json-record', maxAttempts: options.maxAttempts ?? 5 }
  }]))
  const worker = createDeliveryWorker({
    store,
    partnerships,
    mappings,
    clock: { now: () => new Date(now) },
    logger,
    pollIntervalMs: 1_000,
    batchSize: 10,
    leaseMs: 5_000,
    requestTimeoutMs: 300,
    random: () => 0.5,
    ...options
  })
  const seed = async (outboxId: string, partnershipId: string, sr = nclServiceRequest(`sr-${outboxId}`)): Promise<void> => {
    const at = new Date(now).toISOString()
    const srId = sr.id ?? ''
    const task = triageTask(srId, `task-${outboxId}`)
    const stored = (r: Resource): StoredResource => ({ resourceType: r.resourceType, id: r.id ?? '', versionId: '1', lastUpdated: at, resource: r })
    await store.saveReferral({
      resources: [stored(sr), stored(task)],
      task: { id: task.id ?? '', basedOn: `ServiceRequest/${srId}`, owner: partnershipId, status: 'requested', lastUpdated: at },
      serviceRequestId: srId,
      outbox: { id: outboxId, partnershipId, serviceRequestId: srId, taskId: task.id ?? '', createdAt: at },
      audit: []
    })
  }
  harness = { store, db, worker, logs, advance: (ms) => { now += ms }, seed }
  return harness
}

beforeEach(() => {
  received.length = 0
  flakyCalls = 0
  partnerDown = true
})

afterEach(async () => {
  await harness?.worker.stop()
  await harness?.db.close()
  // information governance: whatever happened, no log line carries a name, NHS number, DOB, address or body
  const text = JSON.stringify(harness?.logs ?? [])
  for (const value of PHI) expect(text).not.toContain(value)
  harness = undefined
  for (const reply of hung.splice(0)) reply.code(500).send()
})

// ------------------------------------------------------------------ tests

describe('delivery worker against a real partner', () => {
  it('delivers one batch in each format: 201 → delivered, with the idempotency key and the mapped body', async () => {
    const { db, worker, seed, logs } = await setup({ frimley: '/ok', 'north-central-london': '/ok', 'cambridgeshire-and-peterborough': '/ok' })
    await seed('d-json', 'frimley')
    await seed('d-bundle', 'north-central-london')
    await seed('d-csv', 'cambridgeshire-and-peterborough')

    expect(await worker.runOnce()).toBe(3)

    for (const [id, partnershipId] of [['d-json', 'frimley'], ['d-bundle', 'north-central-london'], ['d-csv', 'cambridgeshire-and-peterborough']] as const) {
      expect(db.row(id)).toMatchObject({ status: 'delivered', attempts: 1, lastResponseStatus: 201 })
      const got = received.find((r) => r.headers['idempotency-key'] === id)
      const expected = mapReferral(mappings.get(partnershipId) as Mapping, { serviceRequest: nclServiceRequest(`sr-${id}`), task: triageTask(`sr-${id}`, `task-${id}`) })
      if (!expected.ok) throw new Error('fixture does not map')
      expect(got?.headers['x-request-id']).toBe(id)
      expect(got?.headers['content-type']).toBe(expected.contentType)
      expect(got?.body).toBe(expected.body)
    }
    expect(received).toHaveLength(3)
    expect(logs.filter((l) => l.obj.status === 'delivered')).toHaveLength(3)
    expect(logs.find((l) => l.obj.outboxId === 'd-json')?.obj).toMatchObject({
      partnershipId: 'frimley', serviceRequestId: 'sr-d-json', taskId: 'task-d-json', attempt: 1, httpStatus: 201
    })
  })

  it('counts each attempt under its partnership and outcome once the outcome is committed', async () => {
    const counted: string[] = []
    const { db, worker, seed } = await setup({ frimley: '/ok', 'north-central-london': '/bad' }, { metrics: { delivery: (partnership, status) => { counted.push(`${partnership} ${status}`) } } })
    await seed('d-1', 'frimley')
    await seed('d-2', 'north-central-london')
    await worker.runOnce()
    expect(counted.sort()).toEqual(['frimley delivered', 'north-central-london dead-letter'])
    expect(db.rows().map((r) => r.status).sort()).toEqual(['dead-letter', 'delivered'])
  })

  it('503 then 201: retries after the jittered backoff with the same idempotency key', async () => {
    const { db, worker, seed, advance } = await setup({ frimley: '/flaky' })
    await seed('d-1', 'frimley')

    expect(await worker.runOnce()).toBe(1)
    expect(db.row('d-1')).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'HTTP 503',
      // attempt 1: ceiling 1 s, random() 0.5
      nextAttemptAt: new Date(START + 500).toISOString()
    })

    advance(499)
    expect(await worker.runOnce()).toBe(0)
    advance(1)
    expect(await worker.runOnce()).toBe(1)
    expect(db.row('d-1')).toMatchObject({ status: 'delivered', attempts: 2, lastResponseStatus: 201 })
    expect(received.map((r) => r.headers['idempotency-key'])).toEqual(['d-1', 'd-1'])
    expect(received[0]?.body).toBe(received[1]?.body)
  })

  it('400 → dead letter at once, naming the status but not the partner\'s response text', async () => {
    const { db, worker, seed } = await setup({ frimley: '/bad' })
    await seed('d-1', 'frimley')
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'dead-letter', attempts: 1, lastError: 'HTTP 400 (rejected by partner)' })
  })

  it('a partner that never answers times out and is retried', async () => {
    const { db, worker, seed } = await setup({ frimley: '/hang' })
    await seed('d-1', 'frimley')
    const started = performance.now()
    await worker.runOnce()
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(hung).toHaveLength(1)
    expect(db.row('d-1')).toMatchObject({ status: 'pending', attempts: 1 })
    expect(db.row('d-1').lastError).toMatch(/^timeout \(/)
  })

  it('a refused connection is retried', async () => {
    const closed = Fastify()
    await closed.listen({ host: '127.0.0.1', port: 0 })
    const port = (closed.server.address() as AddressInfo).port
    await closed.close()
    const { db, worker, seed } = await setup({ frimley: `http://127.0.0.1:${port}/referrals` })
    await seed('d-1', 'frimley')
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'connection error (ECONNREFUSED)' })
  })

  it('a failure after the retry window ended is a dead letter, however few the attempts; before it, a retry however many', async () => {
    const { db, worker, seed, advance } = await setup({ frimley: '/down' }, { retryWindowMs: 3_600_000 })
    await seed('d-1', 'frimley')
    db.sql('UPDATE outbox SET attempts = 50 WHERE id = ?', 'd-1')
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'pending', attempts: 51 })
    advance(3_600_000)
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'dead-letter', attempts: 52, lastError: 'retry window of 1 hour(s) ended after 52 attempt(s): HTTP 503' })
  })

  it('a mapping failure is a dead letter before anything is sent, naming the field', async () => {
    const { db, worker, seed } = await setup({ frimley: '/ok' })
    const sr = nclServiceRequest('sr-x')
    const patient = sr.contained?.[0]
    if (patient?.resourceType === 'Patient') delete patient.identifier
    await seed('d-1', 'frimley', sr)
    const twoNumbers = nclServiceRequest('sr-y')
    const other = twoNumbers.contained?.[0]
    if (other?.resourceType === 'Patient') other.identifier?.push({ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' })
    await seed('d-2', 'frimley', twoNumbers)
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'dead-letter', lastError: 'mapping failed: missing required field(s) nhsNumber' })
    expect(db.row('d-2')).toMatchObject({ status: 'dead-letter', lastError: "mapping failed: field 'nhsNumber': yields 2 values; use .first() or mark it multiple" })
    expect(received).toHaveLength(0)
  })

  it('an unknown partnership, or a referral that cannot be read, is a dead letter', async () => {
    const { db, worker, seed } = await setup({ frimley: '/ok' })
    await seed('d-1', 'somewhere-else')
    await seed('d-2', 'frimley')
    db.sql('DELETE FROM resources WHERE resource_type = ? AND id = ?', 'ServiceRequest', 'sr-d-2')
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'dead-letter', lastError: "unknown partnership 'somewhere-else'" })
    expect(db.row('d-2')).toMatchObject({ status: 'dead-letter', lastError: 'ServiceRequest/sr-d-2 not found' })
    expect(received).toHaveLength(0)
  })
})

describe('BaRS response rows in the worker', () => {
  const REFERRER = 'https://fhir.nhs.uk/Id/ods-organization-code|P88002'
  async function seedBarsRow (store: Store, id: string): Promise<void> {
    const at = new Date(START).toISOString()
    const task = { ...triageTask('sr-b', 'task-b'), status: 'accepted' as const, meta: { versionId: '2', lastUpdated: at } }
    const header: Resource = {
      resourceType: 'MessageHeader',
      id: 'sr-b',
      extension: [
        { url: ENVELOPE_EXTENSIONS.messageId, valueString: 'bundle-1' },
        { url: ENVELOPE_EXTENSIONS.correlationId, valueString: 'corr-1' }
      ],
      eventCoding: { code: 'servicerequest-request' },
      source: { endpoint: REFERRER }
    }
    await store.saveReferral({
      resources: [{ resourceType: 'MessageHeader', id: 'sr-b', versionId: '1', lastUpdated: at, resource: header }, { resourceType: 'Task', id: 'task-b', versionId: '2', lastUpdated: at, resource: task }],
      task: { id: 'task-b', basedOn: 'ServiceRequest/sr-b', owner: 'frimley', status: 'accepted', lastUpdated: at },
      serviceRequestId: 'sr-b',
      outbox: { id, kind: 'bars-response', partnershipId: `bars:${REFERRER}`, serviceRequestId: 'sr-b', taskId: 'task-b', createdAt: at, payload: JSON.stringify(task) },
      audit: []
    })
  }

  it('sends a bars-response row to the referrer\'s endpoint from the catalogue, never through a partnership mapping', async () => {
    const { store, db, worker } = await setup({ frimley: '/ok' }, {
      bars: { catalogue: { resolve: (e) => (e === REFERRER ? { endpoint: e, url: `${base}/ok` } : undefined), forOds: () => [], size: 1 }, ownServiceId: 'a:own|1', baseUrl: 'http://gw/fhir', version: 't' }
    })
    await seedBarsRow(store, 'bars-1')
    expect(await worker.runOnce()).toBe(1)
    expect(db.row('bars-1')).toMatchObject({ status: 'delivered' })
    expect(received).toHaveLength(1)
    const body = JSON.parse(received[0]!.body) as { type: string, entry: Array<{ resource: { resourceType: string, status?: string } }> }
    expect(body.type).toBe('message')
    expect(body.entry.find((e) => e.resource.resourceType === 'Task')?.resource.status).toBe('accepted')
    expect(received[0]!.headers['x-correlation-id']).toBe('corr-1')
  })

  it('dead-letters a bars-response row when the worker has no BaRS configuration, sending nothing', async () => {
    const { store, db, worker } = await setup({ frimley: '/ok' })
    await seedBarsRow(store, 'bars-2')
    await worker.runOnce()
    expect(db.row('bars-2')).toMatchObject({ status: 'dead-letter' })
    expect(received).toHaveLength(0)
  })
})

describe('delivery worker lifecycle', () => {
  it('stop() waits for the run in flight, then runOnce() does nothing', async () => {
    const { store, db, worker, seed } = await setup({ frimley: '/hang' })
    await seed('d-1', 'frimley')
    // a slow store write: stop() must wait for the bookkeeping too, not just for the socket
    const record = store.settleDeliveries.bind(store)
    vi.spyOn(store, 'settleDeliveries').mockImplementation(async (...args) => {
      // not a wait: a store that writes slowly is the condition under test
      await new Promise((resolve) => setTimeout(resolve, 100))
      await record(...args)
    })
    const run = worker.runOnce()
    await vi.waitFor(() => { expect(hung).toHaveLength(1) })

    let runDone = false
    run.then(() => { runDone = true }, () => undefined)
    await worker.stop()
    // the attempt finished (timed out and was recorded) before stop() resolved
    expect(runDone).toBe(true)
    expect(db.row('d-1')).toMatchObject({ status: 'pending', attempts: 1 })
    expect(await run).toBe(1)

    await seed('d-2', 'frimley')
    expect(await worker.runOnce()).toBe(0)
    expect(db.row('d-2')).toMatchObject({ status: 'pending', attempts: 0 })
  })

  it('start() polls until stop(); a hanging partner does not hold back the others', async () => {
    const scheduler = createCountingScheduler()
    const { store, db, worker, seed } = await setup({ frimley: '/ok', 'north-central-london': '/hang' }, { pollIntervalMs: 10, scheduler })
    const claims = vi.spyOn(store, 'claimDueDeliveries')
    await seed('d-1', 'frimley')
    worker.start()
    worker.start() // a second start is ignored
    await vi.waitFor(() => { expect(db.row('d-1').status).toBe('delivered') })

    await seed('d-2', 'north-central-london')
    await vi.waitFor(() => { expect(hung).toHaveLength(1) })
    // while d-2 hangs, later rows to another partnership are still claimed and delivered
    await seed('d-3', 'frimley')
    await vi.waitFor(() => { expect(db.row('d-3').status).toBe('delivered') })
    expect(db.row('d-2')).toMatchObject({ status: 'pending', attempts: 0 })

    await worker.stop()
    // no poll left to fire: nothing can claim again
    expect(scheduler.pending()).toBe(0)
    const afterStop = claims.mock.calls.length
    const firedAtStop = scheduler.fired()
    await seed('d-4', 'frimley')
    expect(await worker.runOnce()).toBe(0)
    expect(claims.mock.calls.length).toBe(afterStop)
    expect(scheduler.fired()).toBe(firedAtStop)
  })

  it('keeps at most `concurrency` deliveries in flight', async () => {
    const scheduler = createCountingScheduler()
    const { db, worker, seed } = await setup({ 'north-central-london': '/hang' }, { pollIntervalMs: 10, concurrency: 2, batchSize: 10, scheduler })
    for (const id of ['d-1', 'd-2', 'd-3', 'd-4']) await seed(id, 'north-central-london')
    worker.start()
    await vi.waitFor(() => { expect(hung).toHaveLength(2) })
    // several polls later, still two
    const polled = scheduler.fired()
    await vi.waitFor(() => { expect(scheduler.fired()).toBeGreaterThanOrEqual(polled + 5) })
    expect(hung).toHaveLength(2)
    expect(db.rows().filter((r) => r.leaseUntil !== undefined)).toHaveLength(2)
  })

  it('claims no more of a partnership than its adaptive limit leaves free; a window of drops shrinks it, answers keep it', async () => {
    const { db, worker, seed } = await setup({ frimley: '/down', 'north-central-london': '/ok' }, { batchSize: 10, limits: { max: 4, minWindow: 4 } })
    for (let i = 0; i < 8; i++) await seed(`f-${i}`, 'frimley')
    for (let i = 0; i < 3; i++) await seed(`n-${i}`, 'north-central-london')
    // frimley starts at 4 free slots, so 4 of its 8 rows are claimed, with all 3 of the other's
    expect(await worker.runOnce()).toBe(7)
    // a window of four 503s halves frimley's limit; the other partnership's answers keep it at its maximum
    expect(worker.limits.limit('frimley')).toBe(2)
    expect(worker.limits.limit('north-central-london')).toBe(4)
    expect(db.rows().filter((r) => r.partnershipId === 'frimley' && r.attempts > 0)).toHaveLength(4)
  })

  it('feeds a partnership on a small limit from rows waiting in the worker, one at a time, without waiting for a poll', async () => {
    const scheduler = createManualScheduler()
    const { store, db, worker, seed } = await setup({ frimley: '/ok' }, { batchSize: 10, limits: { max: 1 }, scheduler })
    for (let i = 0; i < 4; i++) await seed(`f-${i}`, 'frimley')
    const claims = vi.spyOn(store, 'claimDueDeliveries')
    worker.start()
    // the scheduler is never advanced: the poll timer never fires, so attempts' ends drive it all
    await vi.waitFor(() => { expect(db.rows().every((r) => r.status === 'delivered')).toBe(true) })
    expect(received).toHaveLength(4)
    // one claim took all four (four times the limit of 1); the rest waited in the worker
    expect(claims.mock.calls[0]?.[1]).toBe(4)
    expect(worker.limits.snapshot()).toEqual([expect.objectContaining({ partnershipId: 'frimley', limit: 1 })])
  })

  it('keeps polling after a failed poll, logging only the error class', async () => {
    const { store, db, worker, seed, logs } = await setup({ frimley: '/ok' }, { pollIntervalMs: 10 })
    await seed('d-1', 'frimley')
    const claim = store.claimDueDeliveries.bind(store)
    vi.spyOn(store, 'claimDueDeliveries')
      .mockRejectedValueOnce(new Error('database is locked near Okafor'))
      .mockImplementation(claim)
    worker.start()
    await vi.waitFor(() => { expect(db.row('d-1').status).toBe('delivered') })
    expect(logs.find((l) => l.level === 'error')).toMatchObject({ obj: { error: 'Error' }, msg: 'delivery poll failed' })
  })

  it('refuses a lease shorter than a request, and accepts a pino logger', async () => {
    const logger: DeliveryLogger = pino({ level: 'silent' })
    const db = await openSqliteTestStore()
    onTestFinished(async () => { await db.close() })
    const deps = { store: db.store, partnerships: new Map(), mappings: new Map(), clock: { now: () => new Date() }, logger, pollIntervalMs: 10, batchSize: 1 }
    expect(() => createDeliveryWorker({ ...deps, leaseMs: 1_000, requestTimeoutMs: 1_000 })).toThrow('leaseMs must be greater than requestTimeoutMs')
    expect(createDeliveryWorker({ ...deps, leaseMs: 2_000, requestTimeoutMs: 1_000 })).toHaveProperty('runOnce')
  })
})

describe('partner answers', () => {
  it('a 4xx OperationOutcome: dead letter with its coded reason, never its diagnostics', async () => {
    const { db, worker, seed } = await setup({ frimley: '/oo400' })
    await seed('d-1', 'frimley')
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({
      status: 'dead-letter',
      lastResponseStatus: 422,
      lastError: 'HTTP 422 (rejected by partner): error required REC_UNPROCESSABLE_ENTITY at Referral.practiceCode'
    })
  })

  it('honours Retry-After when it asks for longer than the backoff', async () => {
    const { db, worker, seed } = await setup({ frimley: '/retry-after' })
    await seed('d-1', 'frimley')
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 429', nextAttemptAt: new Date(START + 120_000).toISOString() })
  })

  it('cuts a Retry-After longer than the backoff cap to the cap', async () => {
    const { db, worker, seed } = await setup({ frimley: '/retry-after' }, { backoff: { baseMs: 10, factor: 2, capMs: 60_000 } })
    await seed('d-1', 'frimley')
    await worker.runOnce()
    expect(db.row('d-1').nextAttemptAt).toBe(new Date(START + 60_000).toISOString())
  })

  it('signs with the partnership secret: HMAC-SHA256 over timestamp and body', async () => {
    const { db, worker, seed } = await setup({ frimley: '/signed' }, { secrets: { frimley: SECRET } })
    await seed('d-1', 'frimley')
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'delivered', lastResponseStatus: 201 })
    expect(received[0]?.headers[SIGNATURE_HEADER]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
    const header = String(received[0]?.headers[SIGNATURE_HEADER])
    expect(verifySignature(header, received[0]?.body ?? '', SECRET, new Date(START))).toBe(true)
    expect(verifySignature(header, `${received[0]?.body ?? ''} `, SECRET, new Date(START))).toBe(false)
  })

  it('without a secret: unsigned, one warning per partnership naming the variable, never a secret', async () => {
    const { worker, seed, logs } = await setup({ frimley: '/ok' }, { secrets: { 'north-central-london': SECRET } })
    await seed('d-1', 'frimley')
    await seed('d-2', 'frimley')
    await worker.runOnce()
    expect(received.map((r) => r.headers[SIGNATURE_HEADER])).toEqual([undefined, undefined])
    const warnings = logs.filter((l) => l.msg.includes('unsigned'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.obj).toMatchObject({ partnershipId: 'frimley', variable: 'WORKWELL_PARTNER_SECRET_FRIMLEY' })
    expect(JSON.stringify(logs)).not.toContain(SECRET)
  })
})

describe('circuit breaker in the worker', () => {
  it('opens after repeated failures, lets rows wait without using attempts, probes once, and closes', async () => {
    const { db, worker, seed, advance } = await setup({ frimley: '/down' }, {
      breaker: { minimumFailures: 2, openMs: 1_000, halfOpenProbes: 1 }, backoff: { baseMs: 1, factor: 1, capMs: 10_000 }
    })
    for (const id of ['d-1', 'd-2', 'd-3']) await seed(id, 'frimley')

    // two failures (one batch) open the circuit; the third row of that batch is deferred
    expect(await worker.runOnce()).toBe(3)
    expect(worker.breakers.snapshot(new Date(START))[0]).toMatchObject({ partnershipId: 'frimley', state: 'open', consecutiveFailures: 2 })
    expect(db.circuit('frimley')).toMatchObject({ state: 'open', openUntil: new Date(START + 1_000).toISOString() })
    const attemptsBefore = db.rows().reduce((n, r) => n + r.attempts, 0)
    expect(attemptsBefore).toBeLessThanOrEqual(3)

    // while open, nothing is claimed for it
    advance(500)
    expect(await worker.runOnce()).toBe(0)

    // half-open: exactly one probe; it fails, so the circuit reopens for one more interval
    advance(500)
    received.length = 0
    expect(await worker.runOnce()).toBe(1)
    expect(received).toHaveLength(1)
    expect(db.circuit('frimley')).toMatchObject({ state: 'open', openUntil: new Date(START + 2_000).toISOString() })

    // the partner comes back: the next probe closes the circuit and the rest drain
    partnerDown = false
    advance(2_000)
    expect(await worker.runOnce()).toBe(1)
    expect(db.circuit('frimley')).toMatchObject({ state: 'closed', consecutiveFailures: 0 })
    await worker.runOnce()
    expect(db.rows().map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered'])
    const attemptsAfter = db.rows().reduce((n, r) => n + r.attempts, 0)
    // 3 first tries at most, 2 probes, then the 2 that waited: no attempts were burnt while open
    expect(attemptsAfter).toBeLessThanOrEqual(attemptsBefore + 4)
  })

  it('a row claimed before its circuit opened is deferred, not attempted', async () => {
    const { store, db, worker, seed } = await setup({ frimley: '/ok' }, { breaker: { minimumFailures: 1, openMs: 5_000 } })
    await seed('d-1', 'frimley')
    const claim = store.claimDueDeliveries.bind(store)
    vi.spyOn(store, 'claimDueDeliveries').mockImplementationOnce(async (...args) => {
      const rows = await claim(...args)
      // the partner fails for another row meanwhile
      expect(worker.breakers.admit('frimley', new Date(START))).toBe('send')
      worker.breakers.record('frimley', 'send', 'failure', new Date(START))
      return rows
    })
    await worker.runOnce()
    expect(received).toHaveLength(0)
    expect(db.row('d-1')).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: new Date(START + 5_000).toISOString() })
    expect(db.row('d-1')).not.toHaveProperty('leaseUntil')
  })

  it('start() restores a recorded open circuit, so a restart does not hammer the partner', async () => {
    const scheduler = createCountingScheduler()
    const { store, worker, seed } = await setup({ frimley: '/ok' }, { pollIntervalMs: 10, scheduler })
    await store.saveCircuit({ partnershipId: 'frimley', state: 'open', consecutiveFailures: 5, openedAt: new Date(START).toISOString(), openUntil: new Date(START + 60_000).toISOString(), updatedAt: new Date(START).toISOString() })
    await seed('d-1', 'frimley')
    worker.start()
    // several polls, each of which would have sent without the restored circuit
    await vi.waitFor(() => { expect(scheduler.fired()).toBeGreaterThanOrEqual(5) })
    expect(received).toHaveLength(0)
    expect(worker.breakers.blocked(new Date(START))).toEqual(['frimley'])
  })
})

describe('daily file drop in the worker (endpoint: a folder)', () => {
  let root: string
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'workwell-worker-drop-')) })
  afterEach(() => { rmSync(root, { recursive: true, force: true }) })
  const dropFile = (): string => join(root, 'cambridgeshire-and-peterborough-referrals-2026-11-20.csv')
  const rowsFor = (text: string, id: string): number => text.split('\r\n').filter((l) => l.startsWith(`sr-${id},task-${id},`)).length

  it('appends each csv referral to the day\'s file, sends no HTTP, and records it delivered', async () => {
    const { db, worker, seed } = await setup({ 'cambridgeshire-and-peterborough': pathToFileURL(root).href })
    await seed('d-1', 'cambridgeshire-and-peterborough')
    await seed('d-2', 'cambridgeshire-and-peterborough')
    expect(await worker.runOnce()).toBe(2)
    expect(db.row('d-1')).toMatchObject({ status: 'delivered', attempts: 1 })
    expect(db.row('d-1')?.lastResponseStatus).toBeUndefined()
    expect(db.row('d-2')).toMatchObject({ status: 'delivered', attempts: 1 })
    const text = readFileSync(dropFile(), 'utf8')
    expect(text.startsWith('GatewayReferralID,GatewayTaskID,Partnership,')).toBe(true)
    expect([rowsFor(text, 'd-1'), rowsFor(text, 'd-2')]).toEqual([1, 1])
    expect(received).toHaveLength(0)
  })

  it('a row written before a crash is not written again when the delivery is retried', async () => {
    const { db, worker, seed } = await setup({ 'cambridgeshire-and-peterborough': pathToFileURL(root).href })
    await seed('d-1', 'cambridgeshire-and-peterborough')
    await worker.runOnce()
    // as if the process died after the append and before the outcome was committed
    db.sql('UPDATE outbox SET status = \'pending\', next_attempt_at = created_at WHERE id = ?', 'd-1')
    expect(await worker.runOnce()).toBe(1)
    expect(db.row('d-1')).toMatchObject({ status: 'delivered' })
    expect(rowsFor(readFileSync(dropFile(), 'utf8'), 'd-1')).toBe(1)
  })

  it('a folder it cannot write is retried with the error code, then a dead letter', async () => {
    writeFileSync(join(root, 'blocked'), 'a file where the folder should be')
    const { db, worker, seed, advance } = await setup({ 'cambridgeshire-and-peterborough': pathToFileURL(join(root, 'blocked', 'drop')).href }, { retryWindowMs: 60_000 })
    await seed('d-1', 'cambridgeshire-and-peterborough')
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'file drop: ENOTDIR' })
    advance(60_000)
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'dead-letter', attempts: 2, lastError: 'retry window of 0.02 hour(s) ended after 2 attempt(s): file drop: ENOTDIR' })
  })

  it('refuses a folder endpoint for a format other than csv', async () => {
    const { db, worker, seed } = await setup({ frimley: pathToFileURL(root).href })
    await seed('d-1', 'frimley')
    await worker.runOnce()
    expect(db.row('d-1')).toMatchObject({ status: 'dead-letter', lastError: 'a daily file drop takes csv, not json-record' })
  })
})
