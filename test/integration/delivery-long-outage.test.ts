import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createLogCapture } from '../helpers/log-capture.ts'
import { createDeliveryWorker, type DeliveryWorker } from '../../src/delivery/worker.ts'
import { readAlerts } from '../../src/alerts/read-alerts.ts'
import { postReferral, referralIn, startStubPartner, type StubPartner } from './delivery-helpers.ts'

/**
 * A partner down for 72 hours, in simulated time: the worker runs on a clock the test moves
 * (runOnce per step) against a real SQLite file and a real loopback partner that refuses
 * connections, with a retry window (24 h) shorter than the outage. The breaker saw the outage,
 * so nothing is dead-lettered; a restart half-way keeps the circuit open; once the partner is
 * back, everything is delivered within one probe interval plus the drain.
 */
const REFERRALS = 10
const MIN = 60_000
const H = 60 * MIN
const PROBE_INTERVAL = 10 * MIN
const STEP = 5 * MIN

let partner: StubPartner
let gw: TestGateway
let now = 0
const logs = createLogCapture()
afterEach(() => { logs.expectNoUnexpectedErrors() })

beforeAll(async () => {
  partner = await startStubPartner()
  gw = await startGateway({ env: { WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london') } })
  await partner.goDown()
})

afterAll(async () => {
  await gw.close()
  await partner.close()
})

function worker (): DeliveryWorker {
  return createDeliveryWorker({
    store: gw.deps.store,
    partnerships: gw.deps.partnerships,
    mappings: gw.deps.mappings,
    clock: { now: () => new Date(now) },
    logger: pino({ level: 'info' }, logs.destination),
    pollIntervalMs: 1_000,
    batchSize: 20,
    leaseMs: 2 * MIN,
    requestTimeoutMs: 1_000,
    backoff: { baseMs: 1_000, factor: 2, capMs: MIN },
    breaker: { openMs: PROBE_INTERVAL },
    retryWindowMs: 24 * H,
    settleLingerMs: 0
  })
}

async function outbox (): Promise<Array<{ status: string, attempts: number }>> {
  return gw.deps.store.listDeliveries({ partnershipId: 'north-central-london', limit: 100 })
}

describe('a partner down for 72 hours (simulated time)', () => {
  it('dead-letters nothing, probes once per interval, survives a restart, and drains within one probe interval of its return', async () => {
    const ids: string[] = []
    for (let i = 0; i < REFERRALS; i++) ids.push(await postReferral(gw.fhir))
    now = Date.now() + 1_000
    const start = now
    let w = worker()
    while (now - start < 72 * H) {
      if (now - start >= 36 * H && now - start < 36 * H + STEP) {
        // restart half-way: a new worker resumes the recorded (open) circuit
        await w.stop()
        w = worker()
        w.breakers.restore(await gw.deps.store.listCircuits())
      }
      await w.runOnce()
      now += STEP
    }
    const during = await outbox()
    expect(during.map((r) => [r.status, (r as { lastError?: string }).lastError])).toEqual(during.map(() => ['pending', expect.any(String)]))
    const attempts = during.reduce((n, r) => n + r.attempts, 0)
    // the breaker opens after 20 failures; then one probe per 10 minutes for 72 hours (432)
    expect(attempts).toBeGreaterThanOrEqual(20)
    expect(attempts).toBeLessThanOrEqual(20 + 72 * 6 + 2)
    const alerts = await readAlerts({ store: gw.deps.store, clock: { now: () => new Date(now) }, thresholds: { circuitOpenMs: 30 * MIN, oldestPendingMs: 4 * H } })
    expect(alerts.map((a) => a.key).sort()).toEqual(['PartnerCircuitOpenLong/north-central-london', 'ReferralDeliveryDelayed'])

    await partner.comeBack()
    const back = now
    while ((await outbox()).some((r) => r.status !== 'delivered')) {
      expect(now - back, 'drained within one probe interval (plus the steps of the drain)').toBeLessThanOrEqual(PROBE_INTERVAL + 3 * MIN)
      await w.runOnce()
      now += MIN
    }
    await w.stop()
    const delivered = [...partner.stored.values()].map((r) => referralIn(r.body, ids))
    expect(new Set(delivered).size).toBe(REFERRALS)
    expect(partner.stored.size).toBe(REFERRALS)
    expect(await readAlerts({ store: gw.deps.store, clock: { now: () => new Date(now) }, thresholds: { circuitOpenMs: 30 * MIN, oldestPendingMs: 4 * H } })).toEqual([])
  }, 60_000)
})
