import { randomUUID } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, tempDataDir, TEST_AUDIENCE } from '../helpers/gateway.ts'
import { asReferrer, createTestIssuer, type TestIssuer } from '../helpers/tokens.ts'
import { FHIR_HEADERS } from '../helpers/fixtures.ts'
import { spawnServer, type ServerProcess } from '../helpers/spawn-server.ts'
import { startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

const REFERRALS = 2_000
const IN_FLIGHT = 50
/** the gateway is killed once this many referrals have been answered 2xx */
const KILL_AFTER = 600

let partner: StubPartner
let dataDir: string
let issuer: TestIssuer
const servers: ServerProcess[] = []

beforeAll(async () => {
  partner = await startStubPartner()
  dataDir = tempDataDir()
  // one issuer for both processes: the sender retrying after the restart is the same client
  issuer = await createTestIssuer({ audience: TEST_AUDIENCE, alg: 'ES256' })
})

afterAll(async () => {
  for (const s of servers) {
    s.child.kill('SIGKILL')
    await s.exited()
  }
  await partner.close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function gateway (delivery: boolean): Promise<ServerProcess> {
  const server = await spawnServer({
    WORKWELL_DATA_DIR: dataDir,
    WORKWELL_DELIVERY_ENABLED: String(delivery),
    WORKWELL_DELIVERY_POLL_MS: '20',
    WORKWELL_DELIVERY_LEASE_MS: '2000',
    WORKWELL_DELIVERY_TIMEOUT_MS: '1000',
    // a claim left in flight by the killed process is taken over after this
    WORKWELL_REQUEST_ID_STALE_MS: '1000',
    WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
  }, undefined, issuer)
  servers.push(server)
  return server
}

interface Sent { requestId: string, status: number | 'network-error', serviceRequestId?: string }

/** Row counts that must agree for every referral: nothing may be stored in part. */
function checkWhole (db: DatabaseSync): { referrals: string[], done: Map<string, string> } {
  const referrals = db.prepare('SELECT id FROM resources WHERE resource_type = \'ServiceRequest\'').all().map((r) => String(r.id))
  const one = (sql: string): number => Number(db.prepare(sql).get()?.n)
  expect(one('SELECT count(*) AS n FROM tasks')).toBe(referrals.length)
  expect(one('SELECT count(*) AS n FROM resources WHERE resource_type = \'Task\'')).toBe(referrals.length)
  expect(one('SELECT count(*) AS n FROM outbox')).toBe(referrals.length)
  // every outbox row, Task and done X-Request-Id points at a stored ServiceRequest and Task
  expect(one(`SELECT count(*) AS n FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.resource_type = 'ServiceRequest' AND r.id = o.service_request_id)
    OR NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = o.task_id)`)).toBe(0)
  expect(one('SELECT count(*) AS n FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.task_id = t.id)')).toBe(0)
  expect(one(`SELECT count(*) AS n FROM request_ids q WHERE q.state = 'done' AND NOT EXISTS
    (SELECT 1 FROM resources r WHERE r.resource_type = 'ServiceRequest' AND r.id = q.service_request_id)`)).toBe(0)
  // each referral has its creation audit
  expect(one('SELECT count(DISTINCT entity) AS n FROM audit_events WHERE entity LIKE \'ServiceRequest/%\'')).toBe(referrals.length)
  const done = new Map(db.prepare('SELECT request_id, service_request_id FROM request_ids WHERE state = \'done\'').all()
    // stored as the sender's own key (access-policy.ts senderKey: "<client>:<X-Request-Id>")
    .map((r) => [String(r.request_id).split(':').at(-1) ?? '', String(r.service_request_id)]))
  expect(done.size).toBe(referrals.length)
  return { referrals, done }
}

describe('SIGKILL during a load of 2,000 referrals', () => {
  it('keeps every acknowledged referral, stores none in part, and delivers every stored one after the restart', async () => {
    const body = readFileSync(path.join(REPO, 'fixtures/referrals/north-central-london/gp-referral.json'), 'utf8')
    const first = await gateway(false)
    const sent: Sent[] = []
    let ok = 0
    let next = 0
    const sender = async (): Promise<void> => {
      while (next < REFERRALS) {
        next++
        const requestId = randomUUID()
        try {
          const res = await fetch(`${first.origin}/fhir/ServiceRequest`, { method: 'POST', headers: { ...FHIR_HEADERS, ...await asReferrer(first), 'x-request-id': requestId }, body })
          const json = await res.json() as { id?: string }
          if (res.status >= 200 && res.status < 300) ok++
          sent.push({ requestId, status: res.status, ...(json.id === undefined ? {} : { serviceRequestId: json.id }) })
        } catch {
          sent.push({ requestId, status: 'network-error' })
        }
        if (ok >= KILL_AFTER && first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL')
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, sender))
    await first.exited()
    expect(first.child.signalCode).toBe('SIGKILL')

    const acknowledged = sent.filter((s) => typeof s.status === 'number' && s.status < 300)
    const failed = sent.filter((s) => s.status === 'network-error')
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER)
    expect(failed.length).toBeGreaterThan(0)
    expect(sent.filter((s) => typeof s.status === 'number' && s.status >= 300)).toEqual([])

    // the file as the killed process left it: whole referrals only
    const db = new DatabaseSync(path.join(dataDir, 'workwell.sqlite'))
    let stored: { referrals: string[], done: Map<string, string> }
    try {
      expect(db.prepare('PRAGMA integrity_check').get()?.integrity_check).toBe('ok')
      stored = checkWhole(db)
    } finally {
      db.close()
    }
    // every 2xx is there, under its own X-Request-Id
    for (const a of acknowledged) expect(stored.done.get(a.requestId)).toBe(a.serviceRequestId)
    // a failed request is stored whole (the kill took only its answer) or not at all
    const lostAnswers = failed.filter((f) => stored.done.has(f.requestId))
    expect(stored.referrals.length).toBe(acknowledged.length + lostAnswers.length)

    // after the restart, every stored referral is delivered, once per Idempotency-Key
    const second = await gateway(true)
    await until(() => partner.stored.size >= stored.referrals.length, 60_000, 'every stored referral to be delivered')
    expect(partner.stored.size).toBe(stored.referrals.length)
    const delivered = [...partner.stored.values()].map((d) => stored.referrals.find((id) => d.body.includes(id)))
    expect(new Set(delivered).size).toBe(stored.referrals.length)

    // a sender retrying a failed request with its X-Request-Id gets one referral, never two
    // (once the dead process's claims are stale; before that the answer is 425, retry later)
    const retried = failed.slice(0, 20)
    for (const f of retried) {
      let status = 0
      // the sender retries on 425, as it is told to
      await until(async () => {
        const res = await fetch(`${second.origin}/fhir/ServiceRequest`, { method: 'POST', headers: { ...FHIR_HEADERS, ...await asReferrer(second), 'x-request-id': f.requestId }, body })
        await res.arrayBuffer()
        status = res.status
        return status !== 425
      }, 15_000, `an answer other than 425 to the retry of ${f.requestId}`)
      expect(status).toBe(stored.done.has(f.requestId) ? 409 : 201)
    }
  }, 180_000)
})
