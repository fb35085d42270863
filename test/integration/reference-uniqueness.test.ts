import type { ServiceRequest } from '@medplum/fhirtypes'
import { afterEach, describe, expect, it } from 'vitest'
import { REFERENCE_ATTEMPTS } from '../../src/intake/accept-referral.ts'
import { REFERRAL_REFERENCE_SYSTEM, referenceGenerator } from '../../src/reference/referral-reference.ts'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'
import { databaseUrlInNewSchema, dropSchema, pgUnavailable, queryInSchema } from '../helpers/postgres.ts'

const NCL = 'fixtures/referrals/north-central-london/gp-referral.json'
const unavailable = await pgUnavailable()
if (unavailable !== undefined) process.stdout.write(`reference-uniqueness.test.ts: PostgreSQL cases skipped: ${unavailable}\n`)
const STORES = unavailable === undefined ? ['sqlite', 'postgres'] as const : ['sqlite'] as const

const gateways: TestGateway[] = []
const schemas: string[] = []

afterEach(async () => {
  for (const gw of gateways.splice(0)) await gw.close()
  for (const s of schemas.splice(0)) await dropSchema(s)
})

async function database (store: 'sqlite' | 'postgres'): Promise<Record<string, string>> {
  if (store === 'sqlite') return {}
  const db = await databaseUrlInNewSchema()
  schemas.push(db.schema)
  return { DATABASE_URL: db.url }
}

async function gateway (env: Record<string, string>, newReference: () => string): Promise<TestGateway> {
  const gw = await startGateway({ env, overrides: { newReference } })
  gateways.push(gw)
  return gw
}

/** A generator that gives the scripted references first, then fresh ones; it counts its calls. */
function scripted (): { next: () => string, script: string[], calls: () => number } {
  const fresh = referenceGenerator()
  const script: string[] = []
  let calls = 0
  return { script, calls: () => calls, next: () => { calls++; return script.shift() ?? fresh() } }
}

async function refer (gw: TestGateway): Promise<{ id: string, reference: string }> {
  const res = await call(`${gw.fhir}/ServiceRequest`, { body: readJson(NCL), headers: await asReferrer(gw) })
  expect(res.status, res.text).toBe(201)
  const sr = res.body as unknown as ServiceRequest
  return { id: sr.id ?? '', reference: sr.identifier?.find((i) => i.system === REFERRAL_REFERENCE_SYSTEM)?.value ?? '' }
}

async function tasksWith (gw: TestGateway, reference: string): Promise<number> {
  const found = await call(`${gw.fhir}/Task?identifier=${encodeURIComponent(reference)}`, { headers: await asReferrer(gw) })
  expect(found.status).toBe(200)
  return Number(found.body.total)
}

describe.each(STORES)('referral references are unique in the database (%s store)', (store) => {
  it('a reference already taken is drawn again: the referral is stored with the next one, not refused', async () => {
    const gen = scripted()
    const gw = await gateway(await database(store), gen.next)
    const first = await refer(gw)
    // the generator repeats itself once
    gen.script.push(first.reference)
    const second = await refer(gw)
    expect(second.reference).not.toBe(first.reference)
    expect(gen.calls()).toBe(3)
    expect(await tasksWith(gw, first.reference)).toBe(1)
    expect(await tasksWith(gw, second.reference)).toBe(1)
    expect((await call(`${gw.fhir}/ServiceRequest/${second.id}`, { headers: await asReferrer(gw) })).status).toBe(200)
  })

  it('a generator that only repeats is given up on after a bounded number of draws: 503 to retry, nothing stored', async () => {
    const gen = scripted()
    const gw = await gateway(await database(store), gen.next)
    const first = await refer(gw)
    gen.script.push(...Array.from({ length: REFERENCE_ATTEMPTS }, () => first.reference))
    const refused = await call(`${gw.fhir}/ServiceRequest`, { body: readJson(NCL), headers: await asReferrer(gw) })
    expect(refused.status, refused.text).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(JSON.stringify(refused.body)).toContain('transient')
    expect(gen.calls()).toBe(1 + REFERENCE_ATTEMPTS)
    expect(Number((await call(`${gw.fhir}/Task?_count=50`, { headers: await asPartnership(gw) })).body.total)).toBe(1)
    // the sender's retry gets a fresh reference
    const again = await refer(gw)
    expect(again.reference).not.toBe(first.reference)
  })
})

describe.skipIf(unavailable !== undefined)('two gateway instances on one PostgreSQL database', () => {
  it('accept many referrals at once and never hand out one reference twice, even counting in step', async () => {
    const env = await database('postgres')
    // both count the same values at the same instant: only their own permutation keys differ
    const instant = Date.parse('2026-12-06T08:00:00Z')
    const [a, b] = await Promise.all([gateway(env, referenceGenerator(() => instant)), gateway(env, referenceGenerator(() => instant))])
    if (a === undefined || b === undefined) throw new Error('instances did not start')
    const made = await Promise.all(Array.from({ length: 60 }, async (_, i) => refer(i % 2 === 0 ? a : b)))
    expect(new Set(made.map((m) => m.reference)).size).toBe(60)
    const schema = schemas[0] ?? ''
    expect(await queryInSchema(schema, 'SELECT count(*)::int AS n, count(DISTINCT reference)::int AS d FROM tasks')).toEqual([{ n: 60, d: 60 }])
  })

  it('a reference one instance gave is not given again by the other: the second draws again and keeps its referral', async () => {
    const env = await database('postgres')
    const genB = scripted()
    const a = await gateway(env, referenceGenerator())
    const b = await gateway(env, genB.next)
    const fromA = await refer(a)
    genB.script.push(fromA.reference)
    const fromB = await refer(b)
    expect(fromB.reference).not.toBe(fromA.reference)
    expect(genB.calls()).toBe(2)
    expect(await queryInSchema(schemas[0] ?? '', `SELECT id FROM tasks WHERE reference = '${fromA.reference}'`)).toHaveLength(1)
    expect((await call(`${b.fhir}/ServiceRequest/${fromB.id}`, { headers: await asReferrer(b) })).status).toBe(200)
  })
})
