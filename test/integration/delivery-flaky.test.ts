import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createLogCapture } from '../helpers/log-capture.ts'
import { mappingsWithMaxAttempts, postReferral, referralIn, startStubPartner, until, type PartnerMode, type StubPartner } from './delivery-helpers.ts'

/** A small seeded generator, so a failing run can be reproduced. */
function seeded (seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648
    return s / 2_147_483_648
  }
}

const REFERRALS = 40

let partner: StubPartner
let gw: TestGateway
let mappings: ReturnType<typeof mappingsWithMaxAttempts>

const logs = createLogCapture()
// any error-level line is a failure unless a test says it expected it
afterEach(() => { logs.expectNoUnexpectedErrors() })

beforeAll(async () => {
  partner = await startStubPartner()
  const random = seeded(20261120)
  // half the answers are 503; of the rest, some hang, some reset (before or after storing)
  partner.mode = (): PartnerMode => {
    const r = random()
    if (r < 0.5) return '503'
    if (r < 0.58) return 'hang'
    if (r < 0.64) return 'store-then-hang'
    if (r < 0.7) return 'reset'
    if (r < 0.76) return 'store-then-reset'
    return 'ok'
  }
  mappings = mappingsWithMaxAttempts(50)
  gw = await startGateway({
    logCapture: logs,
    env: {
      WORKWELL_MAPPINGS_DIR: mappings.dir,
      WORKWELL_DELIVERY_ENABLED: 'true',
      WORKWELL_DELIVERY_POLL_MS: '20',
      WORKWELL_DELIVERY_TIMEOUT_MS: '250',
      WORKWELL_DELIVERY_CONNECT_TIMEOUT_MS: '250',
      WORKWELL_DELIVERY_LEASE_MS: '1000',
      WORKWELL_DELIVERY_BACKOFF_BASE_MS: '20',
      WORKWELL_DELIVERY_BACKOFF_CAP_MS: '200',
      WORKWELL_BREAKER_FAILURES: '8',
      WORKWELL_BREAKER_OPEN_MS: '50',
      WORKWELL_DELIVERY_CONCURRENCY: '20',
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
    }
  })
})

afterAll(async () => {
  await gw.close()
  await partner.close()
  mappings.remove()
})

describe('a flaky partner (503 half the time, hangs, resets)', () => {
  it('still receives every referral, exactly once after deduplicating on Idempotency-Key', async () => {
    const accepted: string[] = []
    for (let i = 0; i < REFERRALS; i++) accepted.push(await postReferral(gw.fhir))

    await until(async () => {
      const rows = await gw.deps.store.listDeliveries({ partnershipId: 'north-central-london', limit: 1000 })
      return rows.length === REFERRALS && rows.every((r) => r.status === 'delivered')
    }, 80_000, 'every delivery to be recorded as delivered')

    // the partner's system holds each referral once, under one key
    const storedFor = new Map<string, string[]>()
    for (const [key, got] of partner.stored) {
      const sr = referralIn(got.body, accepted)
      expect(sr, `stored body for ${key} is one of ours`).toBeDefined()
      storedFor.set(sr ?? '', [...(storedFor.get(sr ?? '') ?? []), key])
    }
    expect([...storedFor.keys()].sort()).toEqual([...accepted].sort())
    expect([...storedFor.values()].every((keys) => keys.length === 1)).toBe(true)
    // and the flakiness was real: more requests than referrals, the same key sent again
    expect(partner.requests.length).toBeGreaterThan(REFERRALS)
    const rows = await gw.deps.store.listDeliveries({ limit: 1000 })
    expect(rows.some((r) => r.attempts > 1)).toBe(true)
    expect(rows.filter((r) => r.status === 'dead-letter')).toEqual([])
  }, 90_000)
})
