import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createLogCapture } from '../helpers/log-capture.ts'
import { call } from '../helpers/fixtures.ts'
import { asOperator } from '../helpers/tokens.ts'
import { postReferral, referralIn, startStubPartner, until, type StubPartner } from './delivery-helpers.ts'
import { summariseAlerts, type AlertBundle } from '../../src/alerts/alert-bundle.ts'

const REFERRALS = 6

let partner: StubPartner
let gw: TestGateway
/** the delivery the partner refuses: the first it is sent (by Idempotency-Key) */
let refusedKey: string | undefined
let refusing = true

const logs = createLogCapture()
// any error-level line is a failure unless a test says it expected it
afterEach(() => { logs.expectNoUnexpectedErrors() })

beforeAll(async () => {
  partner = await startStubPartner()
  partner.mode = (req) => {
    refusedKey ??= req.key
    return refusing && req.key === refusedKey ? '400' : 'ok'
  }
  gw = await startGateway({ logCapture: logs, env: env() })
})

function env (): Record<string, string> {
  return {
    WORKWELL_DELIVERY_ENABLED: 'true',
    WORKWELL_DELIVERY_POLL_MS: '20',
    WORKWELL_DELIVERY_TIMEOUT_MS: '1000',
    WORKWELL_DELIVERY_LEASE_MS: '2000',
    WORKWELL_ALERT_CHECK_MS: '20',
    WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
  }
}

afterAll(async () => {
  await gw.close()
  await partner.close()
})

async function alerts (): Promise<AlertBundle> {
  const res = await call(`${gw.origin}/admin/alerts`, { headers: await asOperator(gw) })
  expect(res.status).toBe(200)
  return res.body as unknown as AlertBundle
}

describe('a partner that answers 400 to one referral', { timeout: 60_000 }, () => {
  it('dead-letters that one at once with its reason, delivers the rest, raises an alert that outlives a restart, and clears it', async () => {
    expect((await alerts()).total).toBe(0)
    const ids: string[] = []
    for (let i = 0; i < REFERRALS; i++) ids.push(await postReferral(gw.fhir))

    await until(async () => (await alerts()).total === 1, 20_000, 'the dead-letter alert')
    const bundle = await alerts()
    expect(summariseAlerts(bundle)).toEqual([expect.objectContaining({ name: 'ReferralDeadLettered' })])
    expect(bundle.entry[0]?.resource).toMatchObject({ resourceType: 'Flag', status: 'active' })
    await until(() => partner.stored.size === REFERRALS - 1, 20_000, 'the rest delivered')
    const refusedId = referralIn(partner.requests.find((r) => r.key === refusedKey)?.body ?? '', ids)
    const delivered = new Set([...partner.stored.values()].map((r) => referralIn(r.body, ids)))
    expect(delivered).toEqual(new Set(ids.filter((id) => id !== refusedId)))
    // refused once, never retried
    expect(partner.requests.filter((r) => r.key === refusedKey)).toHaveLength(1)

    const res = await call(`${gw.origin}/admin/deliveries?status=dead-letter`, { headers: await asOperator(gw) })
    const dead = (res.body as unknown as { deliveries: Array<{ id: string, attempts: number, lastError: string }> }).deliveries
    expect(dead).toEqual([expect.objectContaining({ attempts: 1, lastError: 'HTTP 400 (rejected by partner): error required at referral.practice' })])

    // the metric and the log line
    const metrics = await call(`${gw.origin}/metrics`, { headers: { accept: 'text/plain', ...await asOperator(gw) } })
    expect(metrics.text).toContain('workwell_delivery_alert_active{alert="ReferralDeadLettered",partnership=""} 1')
    await until(() => logs.lines.some((l) => l.msg === 'alert raised' && l.alert === 'ReferralDeadLettered'), 5_000, 'the alert log line')

    // a restart: the dead letter and its alert are in the store, not in the process
    const dataDir = gw.dataDir
    await gw.stop()
    gw = await startGateway({ logCapture: logs, dataDir, env: env() })
    expect(summariseAlerts(await alerts())).toEqual([expect.objectContaining({ name: 'ReferralDeadLettered' })])

    // resolved: the partner is fixed and the dead letter replayed
    refusing = false
    expect((await call(`${gw.origin}/admin/deliveries/${dead[0]?.id ?? ''}/$replay`, { headers: await asOperator(gw), method: 'POST' })).status).toBe(200)
    await until(async () => (await alerts()).total === 0, 20_000, 'the alert to clear')
    await until(() => logs.lines.some((l) => l.msg === 'alert cleared' && l.alert === 'ReferralDeadLettered'), 5_000, 'the cleared log line')
    await until(() => partner.stored.size === REFERRALS, 20_000, 'the replayed referral delivered')
    // nothing sent twice: the refused one twice in all (refusal, replay), every other once
    expect(partner.requests.filter((r) => r.key === refusedKey)).toHaveLength(2)
    expect(partner.requests).toHaveLength(REFERRALS + 1)
  })

  it('answers only operators', async () => {
    const referrer = await gw.token({ roles: ['referrer'] })
    expect((await call(`${gw.origin}/admin/alerts`, { headers: { authorization: `Bearer ${referrer}` } })).status).toBe(403)
    expect((await call(`${gw.origin}/admin/alerts`, { headers: { authorization: '' } })).status).toBe(401)
  })
})
