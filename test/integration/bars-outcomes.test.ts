import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import path from 'node:path'
import type { Bundle, MessageHeader, ServiceRequest, Task } from '@medplum/fhirtypes'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadEndpointCatalogue } from '../../src/bars/endpoint-catalogue.ts'
import { referralIdFor } from '../../src/bars/envelope.ts'
import { testSender } from '../helpers/gateway.ts'
import { BARS_RESPONSE_KIND, deliverBarsResponse, type BarsResponseDeps } from '../../src/bars/outcome-messages.ts'
import { systemClock } from '../../src/clock.ts'
import { createCircuitBreakers, DEFAULT_BREAKER } from '../../src/delivery/circuit-breaker.ts'
import { createPartnerClient, type PartnerClient } from '../../src/delivery/partner-client.ts'
import type { OutboxRow, Store } from '../../src/store/store.ts'
import { BASE_URL, startGateway, tempDataDir, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'
import { barsHeaders, cancellationMessage, GATEWAY_SERVICE, REFERRER, referralMessage } from './bars-messages.ts'
import { startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

/**
 * Outcomes back to the referrer: a partnership moves the Task, the move queues a BaRS
 * response row in the Task's own transaction, and the outbox worker sends it to the
 * referrer's own $process-message (a real local HTTP server here). A cancellation reaches
 * the partnership (a real local stub partner) through the same outbox.
 */
interface Received { path: string, headers: IncomingHttpHeaders, body: Bundle }
interface Answer { status: number, body?: unknown, headers?: Record<string, string> }

/** The referrer's own BaRS receiver: records each message and answers from a queue (default 200). */
interface Referrer {
  port: number
  received: Received[]
  answers: Answer[]
  goDown: () => Promise<void>
  comeBack: () => Promise<void>
  close: () => Promise<void>
}

async function startReferrer (): Promise<Referrer> {
  const sockets = new Set<Socket>()
  const ref: Referrer = {
    port: 0,
    received: [],
    answers: [],
    goDown: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    },
    comeBack: async () => { await new Promise<void>((resolve) => server.listen(ref.port, '127.0.0.1', resolve)) },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
  const server: Server = createServer((req, res) => {
    let text = ''
    req.on('data', (c: Buffer) => { text += c.toString('utf8') })
    req.on('end', () => {
      ref.received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) as Bundle })
      const answer = ref.answers.shift() ?? { status: 200 }
      res.writeHead(answer.status, { 'content-type': 'application/fhir+json', ...answer.headers })
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body))
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  ref.port = (server.address() as AddressInfo).port
  return ref
}

const GP_REFERRAL = 'fixtures/referrals/greater-manchester/gp-referral.json'

/** A BaRS referral in; returns its Task (version 1), the message and its correlation id. */
async function refer (gw: TestGateway, fixture = GP_REFERRAL): Promise<{ task: Task & { id: string }, message: Bundle, correlationId: string, serviceRequestId: string }> {
  const headers = barsHeaders()
  const message = referralMessage(fixture)
  const res = await call(`${gw.fhir}/$process-message`, { body: message, headers: { ...await asReferrer(gw), ...headers } })
  expect(res.status, res.text).toBe(200)
  const task = (res.body as unknown as Bundle).entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as Task & { id: string }
  return { task, message, correlationId: headers['x-correlation-id'] ?? '', serviceRequestId: referralIdFor(testSender(gw), REFERRER, message.id ?? '') }
}

/** The partnership moves its Task (PUT with If-Match); returns the new version. */
async function move (gw: TestGateway, task: Task & { id: string }, to: Task['status'], extra: Partial<Task> = {}): Promise<Task & { id: string }> {
  const moved = await call(`${gw.fhir}/Task/${task.id}`, { method: 'PUT', body: { ...task, status: to, ...extra }, headers: { ...await asPartnership(gw), 'if-match': `W/"${task.meta?.versionId ?? ''}"` } })
  expect(moved.status, moved.text).toBe(200)
  return moved.body as unknown as Task & { id: string }
}

async function barsRows (store: Store, serviceRequestId: string): Promise<OutboxRow[]> {
  return (await store.listDeliveries({ serviceRequestId, limit: 100 })).filter((r) => r.kind === BARS_RESPONSE_KIND).reverse()
}

function taskIn (message: Bundle): Task | undefined {
  return message.entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as Task | undefined
}

let referrer: Referrer
let catalogueFile: string

beforeAll(async () => {
  referrer = await startReferrer()
  catalogueFile = path.join(tempDataDir(), 'endpoints.json')
  writeFileSync(catalogueFile, JSON.stringify({ endpoints: [{ endpoint: REFERRER, url: `http://127.0.0.1:${referrer.port}/fhir/$process-message` }] }))
})
afterAll(async () => {
  await referrer.close()
  rmSync(path.dirname(catalogueFile), { recursive: true, force: true })
})
beforeEach(() => {
  referrer.received = []
  referrer.answers = []
})

describe('a Task move queues a BaRS response row in its own transaction (one attempt at a time)', () => {
  let gw: TestGateway
  let client: PartnerClient
  let deps: BarsResponseDeps

  beforeAll(async () => {
    // no worker: each test makes the attempts itself, on the rows the moves committed
    gw = await startGateway({ env: { WORKWELL_BARS_ENDPOINTS: catalogueFile } })
    client = createPartnerClient({ requestTimeoutMs: 2000, connectTimeoutMs: 2000, connections: 2 })
    deps = {
      store: gw.deps.store,
      catalogue: await loadEndpointCatalogue(catalogueFile),
      client,
      breakers: createCircuitBreakers({ ...DEFAULT_BREAKER, minimumFailures: 100, openMs: 1000 }, () => undefined),
      clock: systemClock,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      backoff: { baseMs: 1000, factor: 2, capMs: 60_000 },
      random: () => 0.5,
      maxAttempts: 3,
      ownServiceId: GATEWAY_SERVICE,
      baseUrl: BASE_URL,
      version: 'test'
    }
  })
  afterAll(async () => {
    await client.close()
    await gw.close()
  })

  it('the accepted move is one row whose message answers the original Bundle.id, ids and headers as BaRS says', async () => {
    const { task, message, correlationId, serviceRequestId } = await refer(gw)
    expect(await barsRows(gw.deps.store, serviceRequestId)).toEqual([])
    await move(gw, task, 'accepted')
    const [row] = await barsRows(gw.deps.store, serviceRequestId)
    expect(row).toMatchObject({ kind: 'bars-response', partnershipId: `bars:${REFERRER}`, taskId: task.id, status: 'pending' })
    expect(await deliverBarsResponse(row!, deps)).toEqual({ id: row!.id, outcome: 'delivered', responseStatus: 200 })
    expect(referrer.received).toHaveLength(1)
    const got = referrer.received[0]!
    expect(got.path).toBe('/fhir/$process-message')
    expect(got.headers['x-request-id']).toBe(row!.id)
    expect(got.headers['x-correlation-id']).toBe(correlationId)
    expect(JSON.parse(Buffer.from(String(got.headers['nhsd-target-identifier']), 'base64').toString('utf8'))).toEqual({ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'P88002' })
    expect(got.body).toMatchObject({ resourceType: 'Bundle', type: 'message', id: row!.id })
    const h = got.body.entry?.[0]?.resource as MessageHeader
    expect(h.eventCoding?.code).toBe('servicerequest-response')
    expect(h.response).toEqual({ identifier: message.id, code: 'ok' })
    expect(h.destination?.[0]?.endpoint).toBe(REFERRER)
    expect(taskIn(got.body)).toMatchObject({ id: task.id, status: 'accepted', meta: { versionId: '2' } })
  })

  it('reports the Task version each row was queued with, not the Task as it is at send time', async () => {
    const { task, serviceRequestId } = await refer(gw)
    const accepted = await move(gw, task, 'accepted')
    await move(gw, accepted, 'in-progress')
    // both rows are sent only now, after the second move
    const rows = await barsRows(gw.deps.store, serviceRequestId)
    expect(rows).toHaveLength(2)
    for (const row of rows) expect(await deliverBarsResponse(row, deps)).toMatchObject({ outcome: 'delivered' })
    expect(referrer.received.map((r) => taskIn(r.body)?.status)).toEqual(['accepted', 'in-progress'])
    expect(referrer.received.map((r) => taskIn(r.body)?.meta?.versionId)).toEqual(['2', '3'])
    expect(new Set(referrer.received.map((r) => r.body.id)).size).toBe(2)
  })

  it('sends the same message, ids and all, on a retry: 503 with Retry-After is retried, then delivered', async () => {
    const { task, serviceRequestId } = await refer(gw)
    await move(gw, task, 'rejected', { statusReason: { text: 'Outside our criteria' } })
    const [row] = await barsRows(gw.deps.store, serviceRequestId)
    referrer.answers = [{ status: 503, headers: { 'retry-after': '30' } }]
    const first = await deliverBarsResponse(row!, deps)
    expect(first).toMatchObject({ outcome: 'retry', responseStatus: 503 })
    expect(first.outcome === 'retry' && first.nextAttemptAt.getTime() - Date.now()).toBeGreaterThan(25_000)
    expect(await deliverBarsResponse({ ...row!, attempts: 1 }, deps)).toMatchObject({ outcome: 'delivered' })
    expect(referrer.received).toHaveLength(2)
    expect(referrer.received[1]!.body).toEqual(referrer.received[0]!.body)
    expect(referrer.received[1]!.headers['x-request-id']).toBe(referrer.received[0]!.headers['x-request-id'])
  })

  it('treats the referrer\'s 409 duplicate as delivered; dead-letters a 422 at once and a 503 after the last attempt', async () => {
    const { task, serviceRequestId } = await refer(gw)
    await move(gw, task, 'accepted')
    const [row] = await barsRows(gw.deps.store, serviceRequestId)
    referrer.answers = [{ status: 409, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'duplicate', details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/http-error-codes', code: 'REC_CONFLICT' }] } }] } }]
    expect(await deliverBarsResponse(row!, deps)).toMatchObject({ outcome: 'delivered', responseStatus: 409 })
    referrer.answers = [{ status: 422, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', details: { coding: [{ code: 'REC_UNPROCESSABLE_ENTITY' }] } }] } }]
    const rejected = await deliverBarsResponse(row!, deps)
    expect(rejected).toMatchObject({ outcome: 'dead-letter', responseStatus: 422 })
    expect(rejected.outcome === 'dead-letter' && rejected.error).toContain('REC_UNPROCESSABLE_ENTITY')
    referrer.answers = [{ status: 503 }]
    expect(await deliverBarsResponse({ ...row!, attempts: 2 }, deps)).toMatchObject({ outcome: 'dead-letter', responseStatus: 503 })
  })

  it('dead-letters a row whose referrer is not in the catalogue, and defers one whose circuit is open, sending nothing', async () => {
    const { task, serviceRequestId } = await refer(gw)
    await move(gw, task, 'accepted')
    const [row] = await barsRows(gw.deps.store, serviceRequestId)
    expect(await deliverBarsResponse(row!, { ...deps, catalogue: { resolve: () => undefined, forOds: () => [], size: 0 } })).toMatchObject({ outcome: 'dead-letter' })
    const breakers = createCircuitBreakers({ ...DEFAULT_BREAKER, minimumFailures: 1, openMs: 60_000 }, () => undefined)
    breakers.record(row!.partnershipId, 'send', 'failure', new Date())
    expect(await deliverBarsResponse(row!, { ...deps, breakers })).toMatchObject({ outcome: 'deferred' })
    expect(referrer.received).toHaveLength(0)
  })

  it('queues nothing for a move the referrer does not hear about, nor for a referral that did not come as a message', async () => {
    const { task, serviceRequestId } = await refer(gw)
    await move(gw, task, 'received')
    expect(await barsRows(gw.deps.store, serviceRequestId)).toEqual([])
    const plain = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: readJson(GP_REFERRAL) })
    expect(plain.status, plain.text).toBe(201)
    const search = await call(`${gw.fhir}/Task?based-on=ServiceRequest/${String(plain.body.id)}`, { headers: await asPartnership(gw) })
    const plainTask = (search.body as unknown as Bundle).entry?.[0]?.resource as Task & { id: string }
    await move(gw, plainTask, 'accepted')
    expect(await barsRows(gw.deps.store, String(plain.body.id))).toEqual([])
  })
})

const FRIMLEY = 'fixtures/referrals/frimley/gp-referral.json'
const HEREFORD = 'fixtures/referrals/herefordshire-and-worcestershire/gp-referral.json'

/** The BaRS cancellation of a referral message, answered 200 with the cancelled Task. */
async function cancel (gw: TestGateway, message: Bundle): Promise<void> {
  const res = await call(`${gw.fhir}/$process-message`, { body: cancellationMessage(message.id ?? '', 'Patient has moved away'), headers: { ...await asReferrer(gw), ...barsHeaders() } })
  expect(res.status, res.text).toBe(200)
  expect(taskIn(res.body as unknown as Bundle)).toMatchObject({ status: 'cancelled' })
}

/** The json-record deliveries a frimley stub partner received for one referral, in order. */
function frimleyRecords (partner: StubPartner, serviceRequestId: string): Array<Record<string, unknown>> {
  return partner.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>).filter((r) => r.referralId === serviceRequestId)
}

describe('through the outbox worker, end to end', () => {
  let gw: TestGateway
  let partner: StubPartner

  beforeAll(async () => {
    partner = await startStubPartner()
    gw = await startGateway({
      env: {
        WORKWELL_BARS_ENDPOINTS: catalogueFile,
        WORKWELL_DELIVERY_ENABLED: 'true',
        WORKWELL_DELIVERY_POLL_MS: '20',
        WORKWELL_DELIVERY_BACKOFF_BASE_MS: '50',
        WORKWELL_DELIVERY_BACKOFF_CAP_MS: '200',
        WORKWELL_BREAKER_FAILURES: '100',
        WORKWELL_PARTNER_URL_GREATER_MANCHESTER: partner.url('greater-manchester'),
        WORKWELL_PARTNER_URL_FRIMLEY: partner.url('frimley')
      }
    })
  })
  afterAll(async () => {
    await gw.close()
    await partner.close()
  })

  it('a partnership PATCHes its Task to accepted: the referrer receives a servicerequest-response with the accepted Task', async () => {
    const { task, message } = await refer(gw)
    const patched = await call(`${gw.fhir}/Task/${task.id}`, {
      method: 'PATCH',
      raw: JSON.stringify([{ op: 'replace', path: '/status', value: 'accepted' }]),
      headers: { ...await asPartnership(gw), 'content-type': 'application/json-patch+json', 'if-match': 'W/"1"' }
    })
    expect(patched.status, patched.text).toBe(200)
    await until(() => referrer.received.length === 1, 15_000, 'the response message')
    const got = referrer.received[0]!
    expect((got.body.entry?.[0]?.resource as MessageHeader)).toMatchObject({ eventCoding: { code: 'servicerequest-response' }, response: { identifier: message.id, code: 'ok' } })
    expect(taskIn(got.body)).toMatchObject({ id: task.id, status: 'accepted' })
  })

  it('two quick moves send two distinct messages, in order, each with its own Task version', async () => {
    const { task, serviceRequestId } = await refer(gw)
    await move(gw, await move(gw, task, 'accepted'), 'in-progress')
    await until(() => referrer.received.length === 2, 15_000, 'two response messages')
    const statuses = referrer.received.map((r) => taskIn(r.body)?.status).sort()
    expect(statuses).toEqual(['accepted', 'in-progress'])
    expect(referrer.received[0]!.body.id).not.toBe(referrer.received[1]!.body.id)
    await until(async () => (await barsRows(gw.deps.store, serviceRequestId)).every((r) => r.status === 'delivered'), 5_000, 'both rows delivered')
  })

  it('a referrer that is down is retried, then delivered once it is back', async () => {
    const { task, serviceRequestId } = await refer(gw)
    await referrer.goDown()
    try {
      await move(gw, task, 'accepted')
      await until(async () => ((await barsRows(gw.deps.store, serviceRequestId))[0]?.attempts ?? 0) >= 2, 15_000, 'failed attempts')
      expect(referrer.received).toHaveLength(0)
      expect((await barsRows(gw.deps.store, serviceRequestId))[0]).toMatchObject({ status: 'pending' })
    } finally {
      await referrer.comeBack()
    }
    // and a 503 once it is back: retried again
    referrer.answers = [{ status: 503, headers: { 'retry-after': '0' } }]
    await until(async () => (await barsRows(gw.deps.store, serviceRequestId))[0]?.status === 'delivered', 15_000, 'delivery after the outage')
    expect(referrer.received).toHaveLength(2)
    expect(referrer.received[1]!.body).toEqual(referrer.received[0]!.body)
    expect(taskIn(referrer.received[1]!.body)).toMatchObject({ id: task.id, status: 'accepted' })
  })

  it('a cancellation cancels the Task, stores the ServiceRequest revoked, and the partnership receives it', async () => {
    const { task, message, serviceRequestId } = await refer(gw)
    // the referral itself reaches the partnership first
    await until(() => partner.requests.some((r) => r.body.includes(serviceRequestId)), 15_000, 'the referral delivery')
    const before = partner.requests.length
    const headers = barsHeaders()
    const cancel = cancellationMessage(message.id ?? '', 'Patient has moved away')
    const res = await call(`${gw.fhir}/$process-message`, { body: cancel, headers: { ...await asReferrer(gw), ...headers } })
    expect(res.status, res.text).toBe(200)
    expect(taskIn(res.body as unknown as Bundle)).toMatchObject({ id: task.id, status: 'cancelled', statusReason: { text: 'Patient has moved away' } })
    const sr = await call(`${gw.fhir}/ServiceRequest/${serviceRequestId}`, { headers: await asReferrer(gw) })
    expect(sr.body).toMatchObject({ status: 'revoked', meta: { versionId: '2' } })
    const stored = await call(`${gw.fhir}/Task/${task.id}`, { headers: await asPartnership(gw) })
    expect(stored.body).toMatchObject({ status: 'cancelled', meta: { versionId: '2' } })
    expect(JSON.stringify(stored.body.meta)).not.toContain('bars-request-id')
    // the X-Request-Id is done: a repeat is 409 duplicate
    const repeat = await call(`${gw.fhir}/$process-message`, { body: cancel, headers: { ...await asReferrer(gw), ...headers } })
    expect(repeat.status).toBe(409)
    expect((repeat.body.issue as Array<{ code: string }>)[0]?.code).toBe('duplicate')

    await until(() => partner.requests.length > before, 15_000, 'the cancellation delivery')
    const delivered = JSON.parse(partner.requests.at(-1)!.body) as Bundle
    const deliveredSr = delivered.entry?.find((e) => e.resource?.resourceType === 'ServiceRequest')?.resource as ServiceRequest
    expect(deliveredSr).toMatchObject({ id: serviceRequestId, status: 'revoked' })
    expect(taskIn(delivered)).toMatchObject({ id: task.id, status: 'cancelled' })
    // the referrer is answered synchronously; no response message is queued for its own cancellation
    expect(await barsRows(gw.deps.store, serviceRequestId)).toEqual([])
  })

  it('json-record (frimley): the referral, a change once it was sent, then a record saying revoked / cancelled', async () => {
    const { message, serviceRequestId, task } = await refer(gw, FRIMLEY)
    await until(() => frimleyRecords(partner, serviceRequestId).length === 1, 15_000, 'the referral delivery')
    expect(frimleyRecords(partner, serviceRequestId)[0]).toMatchObject({ taskId: task.id, partnershipId: 'frimley', referralStatus: 'active', taskStatus: 'requested' })
    await until(async () => (await gw.deps.store.listDeliveries({ partnershipId: 'frimley', serviceRequestId, status: 'delivered', limit: 10 })).length === 1, 5_000, 'the referral row settled')
    // the referral row is settled, so a change is a row of its own
    const changed = await call(`${gw.fhir}/$process-message`, { body: referralMessage(FRIMLEY, { bundleId: message.id ?? '', reason: 'update', serviceRequest: { note: [{ text: 'Now off work' }] } }), headers: { ...await asReferrer(gw), ...barsHeaders() } })
    expect(changed.status, changed.text).toBe(200)
    await until(() => frimleyRecords(partner, serviceRequestId).length === 2, 15_000, 'the change delivery')
    await cancel(gw, message)
    await until(() => frimleyRecords(partner, serviceRequestId).length === 3, 15_000, 'the cancellation delivery')
    const [referral, change, cancellation] = frimleyRecords(partner, serviceRequestId)
    expect(change).toMatchObject({ taskId: task.id, referralStatus: 'active', taskStatus: 'requested' })
    expect(cancellation).toMatchObject({ taskId: task.id, referralStatus: 'revoked', taskStatus: 'cancelled' })
    // the same record otherwise: only the status fields tell it from the referral
    expect({ ...cancellation, referralStatus: 'active', taskStatus: 'requested' }).toEqual({ ...referral, triageSummary: cancellation?.triageSummary })
    // three rows, all settled as delivered (the worker records an attempt just after it)
    await until(async () => (await gw.deps.store.listDeliveries({ partnershipId: 'frimley', serviceRequestId, limit: 10 })).map((r) => r.status).join() === 'delivered,delivered,delivered', 5_000, 'the rows delivered')
  })

  it('csv daily file drop (herefordshire-and-worcestershire): a second row of the same referral, REFERRAL_STATUS revoked', async () => {
    const { message, serviceRequestId } = await refer(gw, HEREFORD)
    const delivered = async (n: number): Promise<boolean> =>
      (await gw.deps.store.listDeliveries({ partnershipId: 'herefordshire-and-worcestershire', serviceRequestId, status: 'delivered', limit: 10 })).length === n
    await until(async () => delivered(1), 15_000, 'the referral row')
    await cancel(gw, message)
    await until(async () => delivered(2), 15_000, 'the cancellation row')
    const folder = path.join(gw.dataDir, 'drops', 'herefordshire-and-worcestershire')
    const text = readdirSync(folder).map((f) => readFileSync(path.join(folder, f), 'utf8')).join('')
    const header = text.slice(0, text.indexOf('\r\n')).split(',')
    const [referralStatus, taskStatus] = [header.indexOf('REFERRAL_STATUS'), header.indexOf('TASK_STATUS')]
    expect(referralStatus).toBeGreaterThanOrEqual(0)
    expect(taskStatus).toBeGreaterThanOrEqual(0)
    const records = text.split('\r\n').filter((l) => l.startsWith(`${serviceRequestId},`))
    expect(records.map((r) => { const cells = r.split(','); return `${cells[referralStatus] ?? ''},${cells[taskStatus] ?? ''}` })).toEqual(['active,requested', 'revoked,cancelled'])
    expect(records.map((r) => r.split(',').length)).toEqual([header.length, header.length])
  })
})

describe('a cancellation while the referral row still waits: the partnership gets the revoked referral once', () => {
  let partner: StubPartner
  beforeAll(async () => { partner = await startStubPartner() })
  afterAll(async () => { await partner.close() })

  it('adds no second row; the waiting row, sent later, carries revoked / cancelled', async () => {
    const dataDir = tempDataDir()
    const env = { WORKWELL_PARTNER_URL_FRIMLEY: partner.url('frimley') }
    // no worker yet: the referral row is committed and waits
    const before = await startGateway({ dataDir, env })
    let serviceRequestId: string
    try {
      const referred = await refer(before, FRIMLEY)
      serviceRequestId = referred.serviceRequestId
      await cancel(before, referred.message)
      const rows = await before.deps.store.listDeliveries({ partnershipId: 'frimley', serviceRequestId, limit: 10 })
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ status: 'pending', attempts: 0 })
    } finally {
      await before.stop()
    }
    // the worker comes up and sends what waits
    const after = await startGateway({ dataDir, env: { ...env, WORKWELL_DELIVERY_ENABLED: 'true', WORKWELL_DELIVERY_POLL_MS: '20' } })
    try {
      await until(async () => (await after.deps.store.listDeliveries({ partnershipId: 'frimley', serviceRequestId, status: 'delivered', limit: 10 })).length === 1, 15_000, 'the waiting row')
      expect(frimleyRecords(partner, serviceRequestId)).toEqual([expect.objectContaining({ referralStatus: 'revoked', taskStatus: 'cancelled' })])
      expect(await after.deps.store.listDeliveries({ partnershipId: 'frimley', serviceRequestId, limit: 10 })).toHaveLength(1)
    } finally {
      await after.close()
    }
  })
})
