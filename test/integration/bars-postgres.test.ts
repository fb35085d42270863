import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Task } from '@medplum/fhirtypes'
import { referralIdFor } from '../../src/bars/envelope.ts'
import { testRequestKey, testSender } from '../helpers/gateway.ts'
import { BASE_URL, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'
import { databaseUrlInNewSchema, dropSchema, pgUnavailable, queryInSchema } from '../helpers/postgres.ts'
import { barsHeaders, cancellationMessage, REFERRER, referralMessage } from './bars-messages.ts'

/** The BaRS door on the PostgreSQL store: the same answers as on SQLite, including the races' ones. */
const unavailable = await pgUnavailable()
if (unavailable !== undefined) process.stdout.write(`bars-postgres.test.ts: skipping: ${unavailable}\n`)

describe.skipIf(unavailable !== undefined)('$process-message on PostgreSQL', () => {
  let gw: TestGateway
  let schema: string
  beforeAll(async () => {
    const db = await databaseUrlInNewSchema()
    schema = db.schema
    gw = await startGateway({ env: { DATABASE_URL: db.url } })
  })
  afterAll(async () => {
    await gw?.close()
    if (schema !== undefined) await dropSchema(schema)
  })
  const post = async (body: unknown, headers = barsHeaders()): ReturnType<typeof call> => call(`${gw.fhir}/$process-message`, { body, headers: { ...await asReferrer(gw), ...headers } })

  it('accepts, answers repeats 409 duplicate, a reused Bundle.id 409 conflict, and cancels', async () => {
    const message = referralMessage('fixtures/referrals/south-yorkshire/gp-referral.json')
    const headers = barsHeaders()
    const first = await post(message, headers)
    expect(first.status, first.text).toBe(200)
    expect((await post(message, headers)).status).toBe(409)
    // concurrent "new" messages with one Bundle.id and fresh X-Request-Ids: one referral, the rest 409 conflict
    const again = await Promise.all(Array.from({ length: 5 }, async () => post(message)))
    expect(again.map((r) => r.status)).toEqual([409, 409, 409, 409, 409])
    expect(again.every((r) => (r.body.issue as Array<{ code: string }>)[0]?.code === 'conflict')).toBe(true)
    const cancelled = await post(cancellationMessage(message.id ?? ''))
    expect(cancelled.status, cancelled.text).toBe(200)
    const rows = await queryInSchema(schema, 'SELECT count(*)::int AS n FROM resources WHERE resource_type = \'MessageHeader\'')
    expect(rows[0]?.n).toBe(1)
  })

  it('a move queues a BaRS response row, a cancellation revokes the ServiceRequest, all in PostgreSQL transactions', async () => {
    const message = referralMessage('fixtures/referrals/greater-manchester/gp-referral.json')
    const created = await post(message)
    expect(created.status, created.text).toBe(200)
    const task = (created.body.entry as Array<{ resource: Task }>).find((e) => e.resource.resourceType === 'Task')?.resource as Task
    const moved = await call(`${gw.fhir}/Task/${task.id ?? ''}`, { method: 'PUT', body: { ...task, status: 'accepted' }, headers: { ...await asPartnership(gw), 'if-match': 'W/"1"' } })
    expect(moved.status, moved.text).toBe(200)
    const rows = await queryInSchema(schema, `SELECT kind, partnership_id, payload FROM outbox WHERE task_id = '${task.id ?? ''}' AND kind = 'bars-response'`)
    expect(rows).toHaveLength(1)
    expect(rows[0]?.partnership_id).toBe(`bars:${REFERRER}`)
    expect(JSON.parse(String(rows[0]?.payload))).toMatchObject({ id: task.id, status: 'accepted', meta: { versionId: '2' } })

    const headers = barsHeaders()
    const cancelled = await post(cancellationMessage(message.id ?? ''), headers)
    expect(cancelled.status, cancelled.text).toBe(200)
    const srId = referralIdFor(testSender(gw), REFERRER, message.id ?? '')
    expect((await call(`${gw.fhir}/ServiceRequest/${srId}`, { headers: await asReferrer(gw) })).body).toMatchObject({ status: 'revoked', meta: { versionId: '2' } })
    expect((await call(`${gw.fhir}/Task/${task.id ?? ''}`, { headers: await asPartnership(gw) })).body).toMatchObject({ status: 'cancelled', meta: { versionId: '3' } })
    expect(await queryInSchema(schema, `SELECT state FROM request_ids WHERE request_id = '${testRequestKey(gw, headers['x-request-id'] ?? '')}'`)).toEqual([{ state: 'done' }])
    expect((await post(cancellationMessage(message.id ?? ''), headers)).status).toBe(409)
  })

  it('pages the Task feed by cursor: a partnership that accepts Tasks while it reads misses none', async () => {
    const owner = 'greater-manchester'
    const since = new Date().toISOString()
    for (let i = 0; i < 3; i++) expect((await post(referralMessage('fixtures/referrals/greater-manchester/gp-referral.json'))).status).toBe(200)
    const seen = new Map<string, string[]>()
    let next: string | undefined = `${gw.fhir}/Task?owner=${owner}&_lastUpdated=ge${since}&_count=1`
    for (let pages = 0; next !== undefined && pages < 20; pages++) {
      const res = await call(next, { headers: await asPartnership(gw) })
      expect(res.status, res.text).toBe(200)
      const bundle = res.body as unknown as { total: number, link: Array<{ relation: string, url: string }>, entry?: Array<{ resource: Task }> }
      for (const { resource } of bundle.entry ?? []) {
        seen.set(resource.id ?? '', [...(seen.get(resource.id ?? '') ?? []), resource.status])
        if (resource.status === 'requested') {
          const put = await call(`${gw.fhir}/Task/${resource.id ?? ''}`, { method: 'PUT', body: { ...resource, status: 'accepted' }, headers: { ...await asPartnership(gw), 'if-match': `W/"${resource.meta?.versionId ?? ''}"` } })
          expect(put.status, put.text).toBe(200)
        }
      }
      const link = bundle.link.find((l) => l.relation === 'next')?.url
      next = link === undefined ? undefined : `${gw.fhir}${link.replace(BASE_URL, '')}`
    }
    expect(seen.size).toBe(3)
    expect([...seen.values()].every((s) => s.join() === 'requested,accepted')).toBe(true)
  })

  it('two concurrent "new" messages with one Bundle.id store one referral and answer the other 409', async () => {
    const message = referralMessage('fixtures/referrals/south-yorkshire/gp-referral.json')
    const results = await Promise.all([post(message), post(message), post(message)])
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409])
  })
})
