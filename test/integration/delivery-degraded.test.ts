import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createLogCapture } from '../helpers/log-capture.ts'
import { call } from '../helpers/fixtures.ts'
import { asOperator } from '../helpers/tokens.ts'
import { postReferral, referralIn, seeded, startStubPartner, until, type PartnerMode, type StubPartner } from './delivery-helpers.ts'

/**
 * The field report's degraded partner, scaled to run in well under a minute: 200 referrals
 * through a partner that answers 40 % of requests with 503, resets 10 % (half of those after
 * storing) and answers 10 % slowly (300 ms), with a gateway restart half-way, and the backoff
 * shortened. The full-length version (the default settings, 10 % held for 8 s, within 3
 * minutes) runs with WORKWELL_LONG_TESTS=1.
 */
const REFERRALS = 200

const ENV = (url: string): Record<string, string> => ({
  WORKWELL_DELIVERY_ENABLED: 'true',
  WORKWELL_DELIVERY_POLL_MS: '20',
  WORKWELL_DELIVERY_TIMEOUT_MS: '1000',
  WORKWELL_DELIVERY_LEASE_MS: '3000',
  WORKWELL_DELIVERY_BACKOFF_BASE_MS: '20',
  WORKWELL_DELIVERY_BACKOFF_CAP_MS: '1000',
  WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: url
})

let partner: StubPartner
let gw: TestGateway

const logs = createLogCapture()
// any error-level line is a failure unless a test says it expected it
afterEach(() => { logs.expectNoUnexpectedErrors() })

/** The partner's answers: 40 % 503, 5 % reset, 5 % stored then reset, 10 % slow, 40 % ok. */
function degraded (seed: number): () => PartnerMode {
  const random = seeded(seed)
  return (): PartnerMode => {
    const r = random()
    if (r < 0.4) return '503'
    if (r < 0.45) return 'reset'
    if (r < 0.5) return 'store-then-reset'
    if (r < 0.6) return 'slow'
    return 'ok'
  }
}

beforeAll(async () => {
  partner = await startStubPartner()
  partner.mode = degraded(20261206)
  gw = await startGateway({ logCapture: logs, env: ENV(partner.url('north-central-london')) })
})

afterAll(async () => {
  await gw.close()
  await partner.close()
})

async function deadLetters (): Promise<number> {
  const res = await call(`${gw.origin}/admin/deliveries?status=dead-letter`, { headers: await asOperator(gw) })
  return (res.body as unknown as { deliveries: unknown[] }).deliveries.length
}

describe('a degraded partner (40 % 503, 10 % resets, 10 % slow) and a restart half-way', () => {
  it('receives every referral exactly once by Idempotency-Key, none dead-lettered, the circuit never opened', async () => {
    const started = Date.now()
    const ids: string[] = []
    for (let i = 0; i < REFERRALS / 2; i++) ids.push(await postReferral(gw.fhir))
    await until(() => partner.stored.size >= REFERRALS / 4, 30_000, 'a quarter delivered')

    // restart: the worker finishes what it has in flight, the store is closed and reopened
    const dataDir = gw.dataDir
    await gw.stop()
    gw = await startGateway({ logCapture: logs, dataDir, env: ENV(partner.url('north-central-london')) })
    for (let i = REFERRALS / 2; i < REFERRALS; i++) ids.push(await postReferral(gw.fhir))

    await until(() => partner.stored.size >= REFERRALS, 45_000, 'every referral stored by the partner')
    const seconds = (Date.now() - started) / 1000
    // exactly once: one stored entry per referral, and no referral stored under two keys
    const stored = [...partner.stored.values()].map((r) => referralIn(r.body, ids))
    expect(new Set(stored).size).toBe(REFERRALS)
    expect(partner.stored.size).toBe(REFERRALS)
    expect(await deadLetters()).toBe(0)
    expect(logs.lines.filter((l) => l.msg === 'circuit open')).toEqual([])
    // the partner got many more requests than referrals: retries went on throughout
    expect(partner.requests.length).toBeGreaterThan(REFERRALS * 1.5)
    console.log(`degraded partner: ${REFERRALS} referrals delivered in ${seconds.toFixed(1)} s from ${partner.requests.length} requests`)
  }, 90_000)
})

const LONG = process.env.WORKWELL_LONG_TESTS === '1'
if (!LONG) console.log('delivery-degraded: the 3-minute run under default settings is skipped: set WORKWELL_LONG_TESTS=1 to run it')

describe.skipIf(!LONG)('the field report\'s degraded partner under the default settings (long)', () => {
  it('receives 200 referrals exactly once within 3 minutes, with 10 % of answers held for 8 s', async () => {
    const slowPartner = await startStubPartner()
    slowPartner.mode = degraded(20261207)
    slowPartner.slowMs = 8_000
    const g = await startGateway({ logCapture: logs, env: { WORKWELL_DELIVERY_ENABLED: 'true', WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: slowPartner.url('north-central-london') } })
    try {
      const started = Date.now()
      const ids: string[] = []
      for (let i = 0; i < REFERRALS; i++) ids.push(await postReferral(g.fhir))
      await until(() => slowPartner.stored.size >= REFERRALS, 180_000, 'every referral stored within 3 minutes')
      const stored = [...slowPartner.stored.values()].map((r) => referralIn(r.body, ids))
      expect(new Set(stored).size).toBe(REFERRALS)
      console.log(`degraded partner, default settings: ${REFERRALS} referrals delivered in ${((Date.now() - started) / 1000).toFixed(1)} s from ${slowPartner.requests.length} requests`)
    } finally {
      await g.close()
      await slowPartner.close()
    }
  }, 240_000)
})
