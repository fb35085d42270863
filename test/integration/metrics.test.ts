import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asOperator, asPartnership, asReferrer } from '../helpers/tokens.ts'
import { postReferral, startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

const open: TestGateway[] = []
const partners: StubPartner[] = []
afterEach(async () => {
  for (const gw of open.splice(0)) await gw.close()
  for (const p of partners.splice(0)) await p.close()
})

async function gateway (env: Record<string, string> = {}): Promise<TestGateway> {
  const gw = await startGateway({ env })
  open.push(gw)
  return gw
}

/** The value of one sample in a Prometheus text exposition; undefined when absent. */
function sample (text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]))
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3])
  }
  return undefined
}

async function scrape (gw: TestGateway): Promise<string> {
  const res = await fetch(`${gw.origin}/metrics`, { headers: await asOperator(gw) })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return res.text()
}

const REFERRAL_PROFILE = 'https://fhir.workwell.example/StructureDefinition/WorkWell-Referral'

describe('GET /metrics', () => {
  it('is for operators only: per-partnership counts are not for other partnerships, referrers or anyone', async () => {
    const gw = await gateway()
    expect((await fetch(`${gw.origin}/metrics`)).status).toBe(401)
    for (const headers of [await asReferrer(gw), await asPartnership(gw)]) {
      const res = await fetch(`${gw.origin}/metrics`, { headers })
      expect(res.status).toBe(403)
      expect(await res.text()).not.toContain('workwell_')
    }
    expect((await fetch(`${gw.origin}/metrics`, { headers: await asOperator(gw) })).status).toBe(200)
  })

  it('counts requests by route and status, times them, and counts validation failures, triage outcomes and the outbox', async () => {
    const gw = await gateway()
    await postReferral(gw.fhir)
    const bad = readJson<Record<string, unknown>>('fixtures/referrals/north-central-london/gp-referral.json')
    delete bad.subject
    expect((await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: bad })).status).toBe(422)
    expect((await call(`${gw.fhir}/ServiceRequest/nope`, { headers: await asReferrer(gw) })).status).toBe(404)

    const text = await scrape(gw)
    expect(sample(text, 'workwell_http_requests_total', { route: '/fhir/ServiceRequest', method: 'POST', status: '201' })).toBe(1)
    expect(sample(text, 'workwell_http_requests_total', { route: '/fhir/ServiceRequest', method: 'POST', status: '422' })).toBe(1)
    // the route pattern, never the id: one series however many ids are read
    expect(sample(text, 'workwell_http_requests_total', { route: '/fhir/ServiceRequest/:id', method: 'GET', status: '404' })).toBe(1)
    expect(text).not.toContain('nope')
    expect(sample(text, 'workwell_http_request_duration_seconds_count', { route: '/fhir/ServiceRequest', method: 'POST' })).toBe(2)
    expect(sample(text, 'workwell_validation_failures_total', { profile: REFERRAL_PROFILE })).toBe(1)
    const outcomes = text.split('\n').filter((l) => l.startsWith('workwell_triage_outcomes_total{'))
    expect(outcomes).toHaveLength(1)
    expect(outcomes[0]).toMatch(/partnership="north-central-london"/)
    // read from the stored Task's businessStatus
    expect(outcomes[0]).toMatch(/outcome="(eligible-refer|signpost-only|ineligible|needs-information)"/)
    // delivery is off in this gateway: the referral waits in the outbox
    expect(sample(text, 'workwell_outbox_rows', { status: 'pending' })).toBe(1)
    expect(sample(text, 'workwell_outbox_rows', { status: 'dead-letter' })).toBe(0)
    expect(sample(text, 'workwell_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0)
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0)
  })

  it('shows each partnership\'s recorded circuit state', async () => {
    const gw = await gateway()
    const at = new Date().toISOString()
    await gw.deps.store.saveCircuit({ partnershipId: 'frimley', state: 'open', consecutiveFailures: 5, openedAt: at, openUntil: new Date(Date.now() + 60_000).toISOString(), updatedAt: at })
    await gw.deps.store.saveCircuit({ partnershipId: 'black-country', state: 'closed', consecutiveFailures: 0, updatedAt: at })
    const text = await scrape(gw)
    expect(sample(text, 'workwell_circuit_breaker_state', { partnership: 'frimley' })).toBe(2)
    expect(sample(text, 'workwell_circuit_breaker_state', { partnership: 'black-country' })).toBe(0)
  })

  it('counts deliveries by partnership and status', async () => {
    const partner = await startStubPartner()
    partners.push(partner)
    const gw = await gateway({
      WORKWELL_DELIVERY_ENABLED: 'true',
      WORKWELL_DELIVERY_POLL_MS: '20',
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
    })
    await postReferral(gw.fhir)
    await postReferral(gw.fhir)
    await until(async () => sample(await scrape(gw), 'workwell_deliveries_total', { partnership: 'north-central-london', status: 'delivered' }) === 2, 10_000, 'two deliveries counted')
    expect(partner.stored.size).toBe(2)
    expect(sample(await scrape(gw), 'workwell_outbox_rows', { status: 'pending' })).toBe(0)
  })

  it('keeps one registry per app: two gateways in one process count apart', async () => {
    const a = await gateway()
    const b = await gateway()
    await postReferral(a.fhir)
    expect(sample(await scrape(a), 'workwell_http_requests_total', { route: '/fhir/ServiceRequest', status: '201' })).toBe(1)
    expect(sample(await scrape(b), 'workwell_http_requests_total', { route: '/fhir/ServiceRequest', status: '201' })).toBeUndefined()
  })
})

describe('GET /health/ready', () => {
  it('fails while the schema has a migration this gateway does not know, and once the store is closed', async () => {
    const gw = await gateway()
    expect((await call(`${gw.origin}/health/ready`)).status).toBe(200)
    const db = new DatabaseSync(path.join(gw.dataDir, 'workwell.sqlite'))
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, \'future\', ?)').run(new Date().toISOString())
    const notReady = await call(`${gw.origin}/health/ready`)
    expect(notReady.status).toBe(503)
    expect(notReady.body.resourceType).toBe('OperationOutcome')
    db.prepare('DELETE FROM schema_migrations WHERE version = 99').run()
    db.close()
    expect((await call(`${gw.origin}/health/ready`)).status).toBe(200)

    await gw.deps.store.close()
    expect((await call(`${gw.origin}/health/ready`)).status).toBe(503)
    expect((await call(`${gw.origin}/health/live`)).status).toBe(200)
  })
})

describe('graceful shutdown', () => {
  it('finishes the deliveries in flight and leaves no row leased', async () => {
    const partner = await startStubPartner()
    partners.push(partner)
    partner.delayMs = 400
    const gw = await gateway({
      WORKWELL_DELIVERY_ENABLED: 'true',
      WORKWELL_DELIVERY_POLL_MS: '20',
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
    })
    for (let i = 0; i < 3; i++) await postReferral(gw.fhir)
    await until(() => partner.requests.length === 3, 10_000, 'three deliveries in flight')
    expect(partner.stored.size).toBe(0)
    await gw.stop()

    const db = new DatabaseSync(path.join(gw.dataDir, 'workwell.sqlite'), { readOnly: true })
    try {
      expect(db.prepare('SELECT status, lease_until FROM outbox').all().map((r) => ({ ...r })))
        .toEqual([1, 2, 3].map(() => ({ status: 'delivered', lease_until: null })))
    } finally {
      db.close()
    }
  })
})
