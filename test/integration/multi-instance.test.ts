import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databaseUrlInNewSchema, dropSchema, pgUnavailable, queryInSchema } from '../helpers/postgres.ts'
import { spawnServer, type ServerProcess } from '../helpers/spawn-server.ts'
import { postReferral, referralIn, startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

const REFERRALS = 60

const unavailable = await pgUnavailable()
if (unavailable !== undefined) process.stdout.write(`multi-instance.test.ts: skipping: ${unavailable}\n`)

let partner: StubPartner
let schema: string | undefined
const servers: ServerProcess[] = []

/** @param via - tags the instance's deliveries, so the partner can tell which instance sent each */
async function instance (url: string, via: string): Promise<ServerProcess> {
  const server = await spawnServer({
    DATABASE_URL: url,
    WORKWELL_DATA_DIR: '/nonexistent-unused-with-postgres',
    WORKWELL_DELIVERY_POLL_MS: '20',
    WORKWELL_DELIVERY_TIMEOUT_MS: '1000',
    WORKWELL_DELIVERY_CONNECT_TIMEOUT_MS: '1000',
    // a dead instance's rows come back to the survivor once this runs out
    WORKWELL_DELIVERY_LEASE_MS: '2000',
    WORKWELL_DELIVERY_BACKOFF_BASE_MS: '20',
    WORKWELL_DELIVERY_BACKOFF_CAP_MS: '200',
    // few slots per instance, so both instances claim and a backlog is left when one dies
    WORKWELL_DELIVERY_CONCURRENCY: '3',
    WORKWELL_DELIVERY_BATCH: '3',
    WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: `${partner.url('north-central-london')}?via=${via}`
  })
  servers.push(server)
  return server
}

beforeAll(async () => {
  partner = await startStubPartner()
  // slow enough that deliveries are in flight on both instances when one is killed
  partner.delayMs = 150
})

afterAll(async () => {
  for (const s of servers) {
    s.child.kill('SIGKILL')
    await s.exited()
  }
  await partner.close()
  if (schema !== undefined) await dropSchema(schema)
})

describe.skipIf(unavailable !== undefined)('two gateway instances on one PostgreSQL database', () => {
  it('deliver every referral exactly once, even when one is killed mid-run', async () => {
    const db = await databaseUrlInNewSchema()
    schema = db.schema
    const [a, b] = await Promise.all([instance(db.url, 'a'), instance(db.url, 'b')])
    if (a === undefined || b === undefined) throw new Error('instances did not start')

    // referrals arrive at both instances, ten at a time
    const accepted: string[] = []
    for (let i = 0; i < REFERRALS; i += 10) {
      accepted.push(...await Promise.all(Array.from({ length: 10 }, async (_, j) => postReferral(`${((i + j) % 2 === 0 ? a : b).origin}/fhir`))))
    }
    expect(partner.stored.size).toBeLessThan(REFERRALS)

    // From here the partner never answers A, so A certainly holds leased rows with requests in
    // flight when it is killed; those rows can only be delivered by B once their leases run out.
    const fromA = (r: { path: string }): boolean => r.path.endsWith('via=a')
    partner.mode = (r) => fromA(r) ? 'hang' : 'ok'
    const seen = partner.requests.length
    await until(() => partner.requests.slice(seen).some(fromA), 10_000, 'A to send a request the partner holds')
    a.child.kill('SIGKILL')
    await a.exited()
    const heldByA = new Set(partner.requests.slice(seen).filter(fromA).map((r) => r.key))

    await until(() => partner.stored.size >= REFERRALS, 40_000, 'every referral to reach the partner')
    await until(async () => {
      const rows = await queryInSchema(db.schema, 'SELECT count(*)::int AS n FROM outbox WHERE status = \'delivered\'')
      return rows[0]?.n === REFERRALS
    }, 20_000, 'the survivor to record every delivery')

    // exactly once at the partner: one stored delivery per referral, keyed by its outbox id
    const stored = [...partner.stored.values()]
    expect(stored).toHaveLength(REFERRALS)
    const referrals = stored.map((r) => referralIn(r.body, accepted))
    expect(new Set(referrals).size).toBe(REFERRALS)
    expect([...new Set(referrals)].sort()).toEqual([...accepted].sort())
    const outbox = await queryInSchema(db.schema, 'SELECT id, status, attempts FROM outbox ORDER BY id')
    expect(outbox.map((r) => r.id).sort()).toEqual([...partner.stored.keys()].sort())
    expect(outbox.every((r) => r.status === 'delivered')).toBe(true)
    // every row A held when it died was sent again by B, with the same Idempotency-Key
    expect(heldByA.size).toBeGreaterThan(0)
    for (const key of heldByA) {
      expect(partner.stored.get(key)?.path, key).toMatch(/via=b$/)
    }
    expect(b.child.exitCode).toBeNull()
  }, 90_000)
})
