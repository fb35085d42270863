import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Bundle, Task } from '@medplum/fhirtypes'
import Fastify from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SIGNATURE_HEADER, verifySignature } from '../../src/delivery/signature.ts'
import { englandDate } from '../../src/england-date.ts'
import { describeLink } from '../../src/intake/duplicate-referrals.ts'
import type { OutboxRow } from '../../src/store/store.ts'
import { REPO, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createLogCapture } from '../helpers/log-capture.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'
import { until } from '../helpers/until.ts'

interface Received { path: string, headers: Record<string, string | string[] | undefined>, body: string }

/** per-partnership signing keys, as WORKWELL_PARTNER_SECRET_<ID> gives them */
const SECRETS: Record<string, string> = {
  'north-central-london': 'ncl-test-secret-0123456789abcdefghijklmnop',
  'black-country': 'bc-test-secret-0123456789abcdefghijklmnopqr',
  'cambridgeshire-and-peterborough': 'cp-test-secret-0123456789abcdefghijklmnopq'
}
const secretVariables = Object.fromEntries(Object.entries(SECRETS).map(([id, secret]) => [`WORKWELL_PARTNER_SECRET_${id.toUpperCase().replaceAll('-', '_')}`, secret]))

const received: Received[] = []
let failNext = 0
const partner = Fastify()
partner.removeAllContentTypeParsers()
partner.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => { done(null, body) })
partner.post('/:partnership/referrals', async (request, reply) => {
  if (failNext > 0) {
    failNext--
    return reply.code(503).send('busy')
  }
  received.push({ path: request.url, headers: request.headers, body: request.body as string })
  return reply.code(201).send({ ok: true })
})

let gw: TestGateway
const logs = createLogCapture()
// any error-level line is a failure unless a test says it expected it
afterEach(() => { logs.expectNoUnexpectedErrors() })

beforeAll(async () => {
  await partner.listen({ host: '127.0.0.1', port: 0 })
  const address = partner.server.address()
  if (address === null || typeof address === 'string') throw new Error('no partner address')
  const base = `http://127.0.0.1:${address.port}`
  gw = await startGateway({
    logCapture: logs,
    env: {
      WORKWELL_DELIVERY_ENABLED: 'true',
      WORKWELL_DELIVERY_POLL_MS: '20',
      WORKWELL_DELIVERY_TIMEOUT_MS: '2000',
      WORKWELL_DELIVERY_LEASE_MS: '5000',
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: `${base}/north-central-london/referrals`,
      WORKWELL_PARTNER_URL_BLACK_COUNTRY: `${base}/black-country/referrals`,
      WORKWELL_PARTNER_URL_CAMBRIDGESHIRE_AND_PETERBOROUGH: `${base}/cambridgeshire-and-peterborough/referrals`,
      ...secretVariables
    }
  })
})
afterAll(async () => {
  await gw.close()
  await partner.close()
})

/** Waits until the worker has recorded the delivery of this referral. */
async function deliveredRow (partnership: string, serviceRequestId: string): Promise<OutboxRow> {
  let row: OutboxRow | undefined
  await until(async () => {
    row = (await gw.deps.store.listDeliveries({ partnershipId: partnership, limit: 100 })).find((r) => r.serviceRequestId === serviceRequestId)
    return row?.status === 'delivered'
  }, 20_000, `the delivery of ${serviceRequestId}`)
  if (row === undefined) throw new Error('not delivered')
  return row
}

describe('delivery to the partnership system', { timeout: 60_000 }, () => {
  it.each([
    ['north-central-london', /^application\/fhir\+json/],
    ['black-country', /^application\/json/],
    ['cambridgeshire-and-peterborough', /^text\/csv/]
  ])('maps and delivers a consented %s referral, with an idempotency key and its partnership\'s signature', async (partnership, contentType) => {
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: readJson(`fixtures/referrals/${partnership}/gp-referral.json`) })
    expect(res.status).toBe(201)
    const srId = res.body.id as string
    await until(() => received.some((r) => r.path.startsWith(`/${partnership}/`) && r.body.includes(srId)))
    const got = received.find((r) => r.path.startsWith(`/${partnership}/`) && r.body.includes(srId))!
    expect(String(got.headers['content-type'])).toMatch(contentType)
    // the reference the GP read out to the patient arrives in the partnership's own format
    const reference = ((res.body.identifier ?? []) as Array<{ value?: string }>).find((i) => i.value?.startsWith('WW-') === true)?.value
    expect(reference).toMatch(/^WW-/)
    expect(got.body).toContain(reference)
    expect(String(got.headers['idempotency-key'])).toMatch(/^[0-9a-f-]{36}$/)
    expect(got.headers['x-request-id']).toBe(got.headers['idempotency-key'])
    // HMAC-SHA256 over "<t>.<body>" with this partnership's key, as the partner checks it
    const signature = got.headers[SIGNATURE_HEADER]
    expect(typeof signature).toBe('string')
    expect(verifySignature(signature as string, got.body, SECRETS[partnership] ?? '', new Date())).toBe(true)
    const otherKey = Object.entries(SECRETS).find(([id]) => id !== partnership)?.[1] ?? ''
    expect(verifySignature(signature as string, got.body, otherKey, new Date())).toBe(false)
    expect(verifySignature(signature as string, `${got.body} `, SECRETS[partnership] ?? '', new Date())).toBe(false)
    const row = await deliveredRow(partnership, srId)
    expect(row.id).toBe(got.headers['idempotency-key'])
    expect(row.lastResponseStatus).toBe(201)
  })

  // docs/hazard-log.md H18: the flat formats carry the possible-duplicate flag too
  it.each([
    ['black-country', /^application\/json/],
    ['cambridgeshire-and-peterborough', /^text\/csv/]
  ])('delivers a second referral of the same person to %s flagged with the earlier one', async (partnership, contentType) => {
    const post = async (): Promise<{ srId: string, reference: string }> => {
      const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: readJson(`fixtures/referrals/${partnership}/gp-referral.json`) })
      expect(res.status, res.text).toBe(201)
      const reference = ((res.body.identifier ?? []) as Array<{ value?: string }>).find((i) => i.value?.startsWith('WW-') === true)?.value
      return { srId: res.body.id as string, reference: reference ?? '' }
    }
    const first = await post()
    const second = await post()
    const tasks = await call(`${gw.fhir}/Task?based-on=ServiceRequest/${first.srId}`, { headers: await asPartnership(gw, partnership) })
    const firstTask = (tasks.body as unknown as Bundle).entry?.[0]?.resource as Task
    const link = describeLink({ taskId: firstTask.id ?? '', acceptedOn: englandDate(new Date(firstTask.authoredOn ?? '')), reference: first.reference, partnershipId: partnership, otherPartnership: false, samePractice: true })
    await until(() => received.some((r) => r.path.startsWith(`/${partnership}/`) && r.body.includes(second.srId)))
    const got = received.find((r) => r.path.startsWith(`/${partnership}/`) && r.body.includes(second.srId))!
    expect(String(got.headers['content-type'])).toMatch(contentType)
    expect(got.body).toContain(link)
    // the earlier referral was delivered too, and does not name the later one
    await until(() => received.some((r) => r.path.startsWith(`/${partnership}/`) && r.body.includes(first.srId)))
    expect(received.find((r) => r.body.includes(first.srId))?.body).not.toContain(second.reference)
  })

  it('drops a consented herefordshire-and-worcestershire referral into its daily CSV file (partnership.json: a folder)', async () => {
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/herefordshire-and-worcestershire/gp-referral.json') })
    expect(res.status).toBe(201)
    const srId = res.body.id as string
    const row = await deliveredRow('herefordshire-and-worcestershire', srId)
    // no HTTP: no status recorded, and nothing reached the HTTP partner
    expect(row.lastResponseStatus).toBeUndefined()
    expect(received.some((r) => r.body.includes(srId))).toBe(false)
    const folder = path.join(gw.dataDir, 'drops', 'herefordshire-and-worcestershire')
    const files = readdirSync(folder)
    expect(files).toEqual([expect.stringMatching(/^herefordshire-and-worcestershire-referrals-\d{4}-\d{2}-\d{2}\.csv$/)])
    const text = readFileSync(path.join(folder, files[0] ?? ''), 'utf8')
    // the golden example's header, then this referral's row, keyed by its id
    const golden = readFileSync(path.join(REPO, 'mappings/herefordshire-and-worcestershire/examples/gp-referral.expected.csv'), 'utf8')
    expect(text.startsWith(golden.slice(0, golden.indexOf('\r\n') + 2))).toBe(true)
    expect(text.split('\r\n').filter((l) => l.startsWith(`${srId},${row.taskId},herefordshire-and-worcestershire,`))).toHaveLength(1)
  })

  it('retries after a 503 and then delivers', async () => {
    failNext = 1
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/north-central-london/gp-referral.json') })
    const srId = res.body.id as string
    await until(() => received.some((r) => r.body.includes(srId)), 30_000)
    const row = await deliveredRow('north-central-london', srId)
    expect(row.attempts).toBeGreaterThanOrEqual(2)
  })

  it('queues nothing for a referral without consent', async () => {
    const referral = readJson<{ supportingInfo: Array<{ reference: string }>, contained: Array<{ id: string }> }>('fixtures/referrals/north-central-london/gp-referral.json')
    referral.supportingInfo = referral.supportingInfo.filter((r) => r.reference !== '#consent')
    referral.contained = referral.contained.filter((r) => r.id !== 'consent')
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: referral })
    expect(res.status).toBe(201)
    const rows = await gw.deps.store.listDeliveries({ limit: 1000 })
    expect(rows.some((r) => r.serviceRequestId === res.body.id)).toBe(false)
    const task = (await call(`${gw.fhir}/Task?based-on=ServiceRequest/${res.body.id as string}`, { headers: await asPartnership(gw) })).body.entry as Array<{ resource: { businessStatus: { coding: Array<{ code: string }> }, statusReason: { text: string } } }>
    expect(task[0]!.resource.businessStatus.coding[0]!.code).toBe('needs-information')
    expect(task[0]!.resource.statusReason.text).toContain('consent')
  })
})
