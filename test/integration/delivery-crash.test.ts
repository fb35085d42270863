import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDataDir } from '../helpers/gateway.ts'
import { call } from '../helpers/fixtures.ts'
import { asOperator } from '../helpers/tokens.ts'
import { spawnServer, type ServerProcess } from '../helpers/spawn-server.ts'
import { postReferral, referralIn, startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

const REFERRALS = 30
/** the partner answers only this many before the crash; every later request waits for it */
const ANSWERED_BEFORE_CRASH = 5

let partner: StubPartner
let dataDir: string
const servers: ServerProcess[] = []

/** Starts `node src/server.ts` (a real child process) on the shared data folder. */
async function startServer (): Promise<ServerProcess> {
  const server = await spawnServer({
    WORKWELL_DATA_DIR: dataDir,
    WORKWELL_DELIVERY_POLL_MS: '20',
    WORKWELL_DELIVERY_TIMEOUT_MS: '1000',
    WORKWELL_DELIVERY_CONNECT_TIMEOUT_MS: '1000',
    WORKWELL_DELIVERY_LEASE_MS: '2000',
    WORKWELL_DELIVERY_BACKOFF_BASE_MS: '20',
    WORKWELL_DELIVERY_BACKOFF_CAP_MS: '200',
    WORKWELL_DELIVERY_CONCURRENCY: '10',
    WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
  }, 60_000)
  servers.push(server)
  return server
}

let crashed = false

beforeAll(async () => {
  partner = await startStubPartner()
  // Before the crash the partner answers a few requests, then holds every other one open
  // (some after storing it: the answer the gateway never sees), so deliveries are in flight
  // when the gateway is killed however fast or slow this machine is.
  let answered = 0
  partner.mode = (got) => {
    if (crashed) return 'ok'
    if (answered < ANSWERED_BEFORE_CRASH) {
      answered++
      return 'ok'
    }
    // the last character: ids are time-ordered (UUIDv7), so their first characters are alike
    return got.key.charCodeAt(got.key.length - 1) % 2 === 0 ? 'store-then-hang' : 'hang'
  }
  dataDir = tempDataDir()
})

afterAll(async () => {
  for (const server of servers) {
    server.child.kill('SIGKILL')
    await server.exited()
  }
  await partner.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('the gateway killed mid-delivery and restarted', () => {
  it('loses nothing: every accepted referral arrives, exactly once by Idempotency-Key', async () => {
    const first = await startServer()
    const accepted: string[] = []
    for (let i = 0; i < REFERRALS; i++) accepted.push(await postReferral(`${first.origin}/fhir`))
    await until(() => partner.requests.length >= ANSWERED_BEFORE_CRASH + 5, 20_000, 'deliveries in flight')

    first.child.kill('SIGKILL')
    await first.exited()
    crashed = true
    // the held requests die with the gateway's sockets; what the partner stored so far stays
    expect(partner.stored.size).toBeGreaterThanOrEqual(ANSWERED_BEFORE_CRASH)
    expect(partner.stored.size).toBeLessThan(REFERRALS)

    const second = await startServer()
    await until(() => partner.stored.size >= REFERRALS, 30_000, 'every referral to arrive after the restart')
    // once every row is recorded delivered the worker sends nothing more: any duplicate from
    // the restart has arrived by then
    await until(async () => {
      const res = await call(`${second.origin}/admin/deliveries?status=delivered`, { headers: await asOperator(second) })
      return (res.body as unknown as { deliveries: unknown[] }).deliveries.length === REFERRALS
    }, 20_000, 'the restarted gateway to record every delivery')

    const stored = [...partner.stored.values()]
    const referrals = stored.map((r) => referralIn(r.body, accepted))
    expect(new Set(referrals).size).toBe(REFERRALS)
    expect(stored).toHaveLength(REFERRALS)
    expect([...new Set(referrals)].sort()).toEqual([...accepted].sort())
    // at least once on the wire: the held requests were sent again after the restart, and the
    // ones the partner had stored were answered as repeats, not stored twice
    expect(partner.requests.length).toBeGreaterThan(REFERRALS)
    second.child.kill('SIGTERM')
    await second.exited()
  }, 90_000)
})
