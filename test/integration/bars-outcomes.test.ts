import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { Bundle, MessageHeader, Task } from '@medplum/fhirtypes'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadEndpointCatalogue } from '../../src/bars/endpoint-catalogue.ts'
import { readEnvelope, referralIdFor } from '../../src/bars/envelope.ts'
import { deliverBarsResponse, outcomeRow, type BarsResponseDeps } from '../../src/bars/outcome-messages.ts'
import { systemClock } from '../../src/clock.ts'
import { createPartnerClient, type PartnerClient } from '../../src/delivery/partner-client.ts'
import type { OutboxRow } from '../../src/store/store.ts'
import { BASE_URL, startGateway, tempDataDir, type TestGateway } from '../helpers/gateway.ts'
import { call } from '../helpers/fixtures.ts'
import { barsHeaders, GATEWAY_SERVICE, REFERRER, referralMessage } from './bars-messages.ts'

/**
 * Outcomes back to the referrer: a partnership moves the Task, and the referrer's own
 * $process-message (a real local HTTP server here) receives a BaRS response message.
 * The row is built by outcomeRow and sent by deliverBarsResponse, the two halves the outbox
 * worker runs; writing the row in the Task's transaction waits on the store (see the report).
 */
interface Received { path: string, headers: IncomingHttpHeaders, body: Bundle }
let referrer: Server
let received: Received[] = []
let answers: Array<{ status: number, body?: unknown, headers?: Record<string, string> }> = []
let gw: TestGateway
let client: PartnerClient
let deps: BarsResponseDeps

beforeAll(async () => {
  referrer = createServer((req, res) => {
    let text = ''
    req.on('data', (c: Buffer) => { text += c.toString('utf8') })
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) as Bundle })
      const answer = answers.shift() ?? { status: 200 }
      res.writeHead(answer.status, { 'content-type': 'application/fhir+json', ...answer.headers })
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body))
    })
  })
  await new Promise<void>((resolve) => referrer.listen(0, '127.0.0.1', resolve))
  const catalogueFile = path.join(tempDataDir(), 'endpoints.json')
  writeFileSync(catalogueFile, JSON.stringify({ endpoints: [{ endpoint: REFERRER, url: `http://127.0.0.1:${(referrer.address() as AddressInfo).port}/fhir/$process-message` }] }))
  gw = await startGateway({ env: { WORKWELL_BARS_ENDPOINTS: catalogueFile } })
  client = createPartnerClient({ requestTimeoutMs: 2000, connectTimeoutMs: 2000, connections: 2 })
  deps = {
    store: gw.deps.store,
    catalogue: await loadEndpointCatalogue(catalogueFile),
    client,
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
  await new Promise<void>((resolve) => referrer.close(() => { resolve() }))
})
beforeEach(() => {
  received = []
  answers = []
})

/** A BaRS referral in, then the partnership moves its Task; returns the outbox row for that move. */
async function referAndMove (to: Task['status'], extra: Partial<Task> = {}): Promise<{ row: OutboxRow, message: Bundle, correlationId: string, task: Task }> {
  const headers = barsHeaders()
  const message = referralMessage('fixtures/referrals/greater-manchester/gp-referral.json')
  const res = await call(`${gw.fhir}/$process-message`, { body: message, headers })
  expect(res.status, res.text).toBe(200)
  const task = (res.body as unknown as Bundle).entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as Task
  const moved = await call(`${gw.fhir}/Task/${task.id ?? ''}`, { method: 'PUT', body: { ...task, status: to, ...extra }, headers: { 'if-match': 'W/"1"' } })
  expect(moved.status, moved.text).toBe(200)
  const srId = referralIdFor(REFERRER, message.id ?? '')
  const envelope = readEnvelope((await gw.deps.store.readResource('MessageHeader', srId))?.resource)
  const row = outcomeRow(envelope, task, moved.body as unknown as Task & { id: string }, srId, randomUUID(), new Date())
  expect(row).toBeDefined()
  return { row: { ...row!, status: 'pending', attempts: 0, nextAttemptAt: row!.createdAt, updatedAt: row!.createdAt }, message, correlationId: headers['x-correlation-id'] ?? '', task }
}

describe('BaRS response messages to the referrer\'s own $process-message', () => {
  it('a Task accepted by the partnership reaches the referrer as a servicerequest-response answering the original Bundle.id', async () => {
    const { row, message, correlationId, task } = await referAndMove('accepted')
    const settled = await deliverBarsResponse(row, deps)
    expect(settled).toEqual({ id: row.id, outcome: 'delivered', responseStatus: 200 })
    expect(received).toHaveLength(1)
    const got = received[0]!
    expect(got.path).toBe('/fhir/$process-message')
    expect(got.headers['x-request-id']).toBe(row.id)
    expect(got.headers['x-correlation-id']).toBe(correlationId)
    expect(JSON.parse(Buffer.from(String(got.headers['nhsd-target-identifier']), 'base64').toString('utf8'))).toEqual({ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'P88002' })
    expect(got.body).toMatchObject({ resourceType: 'Bundle', type: 'message', id: row.id })
    const h = got.body.entry?.[0]?.resource as MessageHeader
    expect(h.eventCoding?.code).toBe('servicerequest-response')
    expect(h.response).toEqual({ identifier: message.id, code: 'ok' })
    expect(h.destination?.[0]?.endpoint).toBe(REFERRER)
    const sent = got.body.entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as Task
    expect(sent).toMatchObject({ id: task.id, status: 'accepted', meta: { versionId: '2' } })
  })

  it('sends the same message, ids and all, on a retry: 503 with Retry-After is retried, then delivered', async () => {
    const { row } = await referAndMove('rejected', { statusReason: { text: 'Outside our criteria' } })
    answers = [{ status: 503, headers: { 'retry-after': '30' } }]
    const first = await deliverBarsResponse(row, deps)
    expect(first).toMatchObject({ outcome: 'retry', responseStatus: 503 })
    expect(first.outcome === 'retry' && first.nextAttemptAt.getTime() - Date.now()).toBeGreaterThan(25_000)
    const second = await deliverBarsResponse({ ...row, attempts: 1 }, deps)
    expect(second).toMatchObject({ outcome: 'delivered' })
    expect(received).toHaveLength(2)
    expect(received[1]!.body).toEqual(received[0]!.body)
    expect(received[1]!.headers['x-request-id']).toBe(received[0]!.headers['x-request-id'])
  })

  it('treats the referrer\'s 409 duplicate as delivered (BaRS: the message was already processed)', async () => {
    const { row } = await referAndMove('accepted')
    answers = [{ status: 409, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'duplicate', details: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/http-error-codes', code: 'REC_CONFLICT' }] } }] } }]
    expect(await deliverBarsResponse(row, deps)).toMatchObject({ outcome: 'delivered', responseStatus: 409 })
  })

  it('dead-letters a 422 at once, and a 503 after the last attempt', async () => {
    const { row } = await referAndMove('accepted')
    answers = [{ status: 422, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', details: { coding: [{ code: 'REC_UNPROCESSABLE_ENTITY' }] } }] } }]
    const rejected = await deliverBarsResponse(row, deps)
    expect(rejected).toMatchObject({ outcome: 'dead-letter', responseStatus: 422 })
    expect(rejected.outcome === 'dead-letter' && rejected.error).toContain('REC_UNPROCESSABLE_ENTITY')
    answers = [{ status: 503 }]
    const last = await deliverBarsResponse({ ...row, attempts: 2 }, deps)
    expect(last).toMatchObject({ outcome: 'dead-letter', responseStatus: 503 })
  })

  it('dead-letters a row whose referrer is not in the catalogue, without sending anything', async () => {
    const { row } = await referAndMove('accepted')
    const settled = await deliverBarsResponse(row, { ...deps, catalogue: { resolve: () => undefined, size: 0 } })
    expect(settled).toMatchObject({ outcome: 'dead-letter' })
    expect(received).toHaveLength(0)
  })

  it('makes no row for a move the referrer does not hear about, nor for a referral from another door', async () => {
    const { row } = await referAndMove('accepted')
    const envelope = readEnvelope((await gw.deps.store.readResource('MessageHeader', row.serviceRequestId))?.resource)
    expect(outcomeRow(envelope, { status: 'accepted' }, { resourceType: 'Task', id: 't', status: 'on-hold', intent: 'order' }, row.serviceRequestId, randomUUID(), new Date())).toBeUndefined()
    expect(outcomeRow(undefined, { status: 'requested' }, { resourceType: 'Task', id: 't', status: 'accepted', intent: 'order' }, row.serviceRequestId, randomUUID(), new Date())).toBeUndefined()
  })
})
