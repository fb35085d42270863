import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call } from '../helpers/fixtures.ts'
import { databaseUrlInNewSchema, dropSchema, pgUnavailable, queryInSchema } from '../helpers/postgres.ts'
import { barsHeaders, cancellationMessage, referralMessage } from './bars-messages.ts'

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
  const post = async (body: unknown, headers = barsHeaders()): ReturnType<typeof call> => call(`${gw.fhir}/$process-message`, { body, headers })

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

  it('two concurrent "new" messages with one Bundle.id store one referral and answer the other 409', async () => {
    const message = referralMessage('fixtures/referrals/south-yorkshire/gp-referral.json')
    const results = await Promise.all([post(message), post(message), post(message)])
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409])
  })
})
