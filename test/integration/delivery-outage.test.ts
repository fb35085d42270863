import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createLogCapture } from '../helpers/log-capture.ts'
import { call } from '../helpers/fixtures.ts'
import { asOperator } from '../helpers/tokens.ts'
import { mappingsWithMaxAttempts, postReferral, referralIn, startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

const REFERRALS = 12
const THRESHOLD = 3

let partner: StubPartner
let gw: TestGateway
let mappings: ReturnType<typeof mappingsWithMaxAttempts>

const logs = createLogCapture()
// any error-level line is a failure unless a test says it expected it
afterEach(() => { logs.expectNoUnexpectedErrors() })

beforeAll(async () => {
  partner = await startStubPartner()
  await partner.goDown()
  mappings = mappingsWithMaxAttempts(30)
  gw = await startGateway({
    logCapture: logs,
    env: {
      WORKWELL_MAPPINGS_DIR: mappings.dir,
      WORKWELL_DELIVERY_ENABLED: 'true',
      WORKWELL_DELIVERY_POLL_MS: '20',
      WORKWELL_DELIVERY_TIMEOUT_MS: '300',
      WORKWELL_DELIVERY_LEASE_MS: '1000',
      WORKWELL_DELIVERY_BACKOFF_BASE_MS: '20',
      WORKWELL_DELIVERY_BACKOFF_CAP_MS: '400',
      WORKWELL_BREAKER_FAILURES: String(THRESHOLD),
      WORKWELL_BREAKER_OPEN_MS: '150',
      // one at a time, so the breaker (not the first burst) decides how often the partner is tried
      WORKWELL_DELIVERY_CONCURRENCY: '1',
      WORKWELL_DELIVERY_BATCH: '1',
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
    }
  })
})

afterAll(async () => {
  await gw.close()
  await partner.close()
  mappings.remove()
})

interface AdminList {
  deliveries: Array<{ id: string, status: string, attempts: number }>
  circuits: Array<{ partnershipId: string, state: string, consecutiveFailures: number }>
}

async function admin (): Promise<AdminList> {
  const res = await call(`${gw.origin}/admin/deliveries?partnership=north-central-london`, { headers: await asOperator(gw) })
  expect(res.status).toBe(200)
  return res.body as unknown as AdminList
}

describe('a partner that is down for a while', () => {
  it('makes deliveries wait behind an open circuit, then drains them all when it returns', async () => {
    const accepted: string[] = []
    for (let i = 0; i < REFERRALS; i++) accepted.push(await postReferral(gw.fhir))

    await until(async () => (await admin()).circuits.some((c) => c.state === 'open' || c.state === 'half-open'), 20_000, 'the circuit to open')
    // let the outage last until the breaker has probed the partner twice more: only probes reach for it now
    const tried = (list: AdminList): number => list.deliveries.reduce((n, d) => n + d.attempts, 0)
    const atOpen = tried(await admin())
    let during = await admin()
    await until(async () => { during = await admin(); return tried(during) >= atOpen + 2 }, 20_000, 'two probes of the partner')
    expect(during.deliveries.every((d) => d.status === 'pending')).toBe(true)
    // without a breaker, 12 rows one at a time (a refused connection fails at once) would all
    // have been tried, most of them again, long before two probe periods were over
    expect(tried(during)).toBeLessThan(REFERRALS + THRESHOLD)
    expect(during.deliveries.filter((d) => d.attempts === 0).length).toBeGreaterThan(0)

    await partner.comeBack()
    await until(async () => (await admin()).deliveries.every((d) => d.status === 'delivered'), 30_000, 'the backlog to drain')
    const after = await admin()
    expect(after.deliveries).toHaveLength(REFERRALS)
    expect(after.circuits).toEqual([expect.objectContaining({ partnershipId: 'north-central-london', state: 'closed', consecutiveFailures: 0 })])
    const delivered = new Set([...partner.stored.values()].map((r) => referralIn(r.body, accepted)))
    expect(delivered.size).toBe(REFERRALS)
  }, 60_000)
})
