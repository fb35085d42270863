import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'
import { databaseUrlInNewSchema, dropSchema, pgUnavailable, queryInSchema } from '../helpers/postgres.ts'
import { postReferral } from './delivery-helpers.ts'

const unavailable = await pgUnavailable()
if (unavailable !== undefined) process.stdout.write(`postgres-gateway.test.ts: skipping: ${unavailable}\n`)

let gw: TestGateway | undefined
let schema: string | undefined

beforeAll(async () => {
  if (unavailable !== undefined) return
  const db = await databaseUrlInNewSchema()
  schema = db.schema
  gw = await startGateway({ env: { DATABASE_URL: db.url } })
})

afterAll(async () => {
  await gw?.close()
  if (schema !== undefined) await dropSchema(schema)
})

describe.skipIf(unavailable !== undefined)('the gateway on PostgreSQL (DATABASE_URL)', () => {
  it('migrates at start, stores a referral with its Task and outbox row, and serves it back', async () => {
    if (gw === undefined || schema === undefined) throw new Error('not started')
    expect((await queryInSchema(schema, 'SELECT max(version) AS v FROM schema_migrations'))[0]?.v).toBeGreaterThan(0)
    expect((await call(`${gw.origin}/health/ready`)).status).toBe(200)

    const id = await postReferral(gw.fhir)
    const read = await call(`${gw.fhir}/ServiceRequest/${id}`, { headers: await asReferrer(gw) })
    expect(read.status).toBe(200)
    expect(read.body.id).toBe(id)
    const tasks = await call(`${gw.fhir}/Task?based-on=ServiceRequest/${id}`, { headers: await asPartnership(gw) })
    expect(tasks.body.total).toBe(1)
    expect(await queryInSchema(schema, 'SELECT status, partnership_id FROM outbox'))
      .toEqual([{ status: 'pending', partnership_id: 'north-central-london' }])
    expect(await queryInSchema(schema, 'SELECT count(*)::int AS n FROM resources')).toEqual([{ n: 2 }])
    // nothing went to SQLite: the data folder holds no database file
    expect(existsSync(path.join(gw.dataDir, 'workwell.sqlite'))).toBe(false)
  })
})
