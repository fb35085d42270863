import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createLogCapture } from '../helpers/log-capture.ts'
import { call } from '../helpers/fixtures.ts'
import { postReferral, referralIn, seeded, startStubPartner, until, type PartnerMode, type StubPartner } from './delivery-helpers.ts'

/**
 * The field report's degraded partner, scaled to run in well under a minute: 200 referrals
 * through a partner that answers 40 % of requests with 503, resets 10 % (half of those after
 * storing) and answers 10 % slowly, with a gateway restart half-way. The full-length version
 * (200 referrals within 3 minutes under the default settings) is the black-box check; this
 * one shortens the backoff so the run stays short.
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

beforeAll(async () => {
  partner = await startStubPartner()
  const random = seeded(20261206)
  partner.mode = (): PartnerMode => {
    const r = random()
    if (r < 0.4) return '503'
    if (r < 0.45) return 'reset'
    if (r < 0.5) return 'store-then-reset'
    if (r < 0.6) return 'slow'
    return 'ok'
  }
  gw = await startGateway({ logCapture: logs, env: ENV(partner.url('north-central-london')) })
})

afterAll(async () => {
  await gw.close()
  await partner.close()
})

async function deadLetters (): Promise<number> {
  const res = await call(`${gw.origin}/admin/deliveries?status=dead-letter`)
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
