import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { AuditEvent, Bundle, ServiceRequest, Task } from '@medplum/fhirtypes'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson, type Reply } from '../helpers/fixtures.ts'
import { asPartnership } from '../helpers/tokens.ts'
import { barsHeaders, referralMessage } from './bars-messages.ts'

const NCL = 'north-central-london'
const LEICESTER = 'leicester-leicestershire-and-rutland'
const PATCH_TYPE = 'application/json-patch+json'
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
const ANONYMOUS = 'anonymous ip/127.0.0.1'

function expectOutcome (res: Reply, status: number): void {
  expect(res.status, res.text).toBe(status)
  expect(res.body.resourceType).toBe('OperationOutcome')
}

describe('the rate limit counts refused requests too (keyed by address without a verified client)', () => {
  let gw: TestGateway
  beforeAll(async () => { gw = await startGateway({ env: { WORKWELL_RATE_LIMIT: '3', WORKWELL_RATE_LIMIT_WINDOW_MS: '60000' } }) })
  afterAll(async () => { await gw.close() })

  it('throttles a flood of missing and bad tokens with 429 and Retry-After, while each client keeps its own limit', async () => {
    const answers: number[] = []
    for (const headers of [{ authorization: '' }, bearer('not.a.jwt'), bearer('still.not.ajwt'), bearer('again.not.ajwt'), { authorization: '' }]) {
      answers.push((await call(`${gw.fhir}/Task`, { headers })).status)
    }
    expect(answers).toStrictEqual([401, 401, 401, 429, 429])
    const throttled = await call(`${gw.fhir}/Task/x`, { headers: { ...bearer('yet.another.bad') } })
    expectOutcome(throttled, 429)
    expect((throttled.body.issue as Array<{ code: string }>)[0]?.code).toBe('throttled')
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)

    // the same address with a valid token is counted as its client, not as the address
    const a = await gw.token({ roles: ['partnership'], partnership: [NCL], client: 'limit-a' })
    const b = await gw.token({ roles: ['partnership'], partnership: [NCL], client: 'limit-b' })
    const forA: number[] = []
    for (let i = 0; i < 4; i++) forA.push((await call(`${gw.fhir}/Task`, { headers: { ...bearer(a) } })).status)
    expect(forA).toStrictEqual([200, 200, 200, 429])
    expect((await call(`${gw.fhir}/Task`, { headers: { ...bearer(b) } })).status).toBe(200)
  })
})

describe('refused access attempts are AuditEvents (outcome 4)', () => {
  let gw: TestGateway
  let operator: string
  let task: Task
  let srId: string
  let otherPartnership: string

  async function trail (query: string): Promise<AuditEvent[]> {
    const res = await call(`${gw.origin}/admin/AuditEvent?${query}`, { headers: { ...bearer(operator) } })
    expect(res.status, res.text).toBe(200)
    return ((res.body as unknown as Bundle<AuditEvent>).entry ?? []).map((e) => e.resource as AuditEvent)
  }
  const refusals = (events: AuditEvent[]): AuditEvent[] => events.filter((e) => e.type.code === 'access-refused')
  const agentOf = (e: AuditEvent | undefined): string | undefined => e?.agent[0]?.who?.identifier?.value

  beforeAll(async () => {
    gw = await startGateway()
    operator = await gw.token({ roles: ['operator'], client: 'ops-refusals' })
    const ods = readJson<ServiceRequest>(`fixtures/referrals/${NCL}/gp-referral.json`).requester?.identifier?.value ?? ''
    const referrer = await gw.token({ roles: ['referrer'], ods: [ods], client: 'gp-ncl' })
    const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { body: readJson(`fixtures/referrals/${NCL}/gp-referral.json`), headers: { ...bearer(referrer) } })
    expect(res.status, res.text).toBe(200)
    task = res.body as unknown as Task
    srId = (task.basedOn?.[0]?.reference ?? '').replace('ServiceRequest/', '')
    otherPartnership = await gw.token({ roles: ['partnership'], partnership: [LEICESTER], client: 'partnership-other' })
  })
  afterAll(async () => { await gw.close() })

  it('records a 401 without a token and with a bad one as anonymous from the address, with the resource asked for, and no token content', async () => {
    expectOutcome(await call(`${gw.fhir}/Task/${task.id ?? ''}`, { headers: { authorization: '' } }), 401)
    expectOutcome(await call(`${gw.fhir}/Task/${task.id ?? ''}`, { headers: { ...bearer('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.secretpart') } }), 401)
    // refusals are recorded after the answer, off its path
    const events = await vi.waitFor(async () => {
      const found = refusals(await trail(`entity=Task/${task.id ?? ''}`))
      expect(found).toHaveLength(2)
      return found
    })
    for (const e of events) {
      expect(e).toMatchObject({ action: 'R', outcome: '4', entity: [{ what: { reference: `Task/${task.id ?? ''}` } }] })
      expect(agentOf(e)).toBe(ANONYMOUS)
    }
    expect(JSON.stringify(events)).not.toMatch(/eyJ|secretpart/)
    // an operator finds them by agent too
    expect(refusals(await trail(`agent=${encodeURIComponent('anonymous')}`)).length).toBeGreaterThanOrEqual(2)
  })

  it('records a 403 with the client that was refused', async () => {
    expectOutcome(await call(`${gw.origin}/admin/AuditEvent`, { headers: { ...bearer(otherPartnership) } }), 403)
    const events = await vi.waitFor(async () => {
      const found = refusals(await trail('agent=client/partnership-other'))
      expect(found.length).toBeGreaterThanOrEqual(1)
      return found
    })
    expect(events[0]).toMatchObject({ action: 'R', outcome: '4', entity: [{ what: { display: '/admin/AuditEvent' } }] })
    expect(agentOf(events[0])).toBe(`client/partnership-other partnership/${LEICESTER}`)
  })

  it('records the isolation 404s on a read and on an update, and nothing for a granted read', async () => {
    const id = task.id ?? ''
    const before = refusals(await trail(`entity=Task/${id}`)).length
    expectOutcome(await call(`${gw.fhir}/Task/${id}`, { headers: { ...bearer(otherPartnership) } }), 404)
    expectOutcome(await call(`${gw.fhir}/ServiceRequest/${srId}`, { headers: { ...bearer(otherPartnership) } }), 404)
    const op = [{ op: 'replace', path: '/status', value: 'received' }]
    expectOutcome(await call(`${gw.fhir}/Task/${id}`, { method: 'PATCH', raw: JSON.stringify(op), headers: { ...bearer(otherPartnership), 'content-type': PATCH_TYPE, 'if-match': 'W/"1"' } }), 404)
    expect((await call(`${gw.fhir}/Task/${id}`, { headers: await asPartnership(gw) })).status).toBe(200)
    const onTask = await vi.waitFor(async () => {
      const found = refusals(await trail(`entity=Task/${id}`))
      expect(found.length - before).toBe(2)
      return found
    })
    expect(onTask.slice(0, 2).map((e) => `${e.action} ${e.outcome} ${agentOf(e) ?? ''}`).sort()).toStrictEqual([
      `R 4 client/partnership-other partnership/${LEICESTER}`,
      `U 4 client/partnership-other partnership/${LEICESTER}`
    ])
    await vi.waitFor(async () => { expect(refusals(await trail(`entity=ServiceRequest/${srId}`))).toHaveLength(1) })
  })

  it('records a refused $process-message once, as the message route\'s own attempt record', async () => {
    const headers = barsHeaders()
    expect((await call(`${gw.fhir}/$process-message`, { body: referralMessage(`fixtures/referrals/${NCL}/gp-referral.json`), headers: { ...headers, authorization: '' } })).status).toBe(401)
    const db = new DatabaseSync(path.join(gw.dataDir, 'workwell.sqlite'), { readOnly: true })
    try {
      const rows = db.prepare('SELECT subtype, outcome, agent FROM audit_events WHERE correlation_id = ?').all(headers['x-correlation-id'] ?? '')
      expect(rows.map((r) => ({ ...r }))).toStrictEqual([{ subtype: 'process-message', outcome: '4', agent: ANONYMOUS }])
    } finally {
      db.close()
    }
  })
})

describe('a failing audit write', () => {
  let gw: TestGateway
  beforeAll(async () => { gw = await startGateway({ captureLogs: true }) })
  afterAll(async () => { await gw.close() })

  it('leaves a 401 a 401, and says so in the log', async () => {
    const db = new DatabaseSync(path.join(gw.dataDir, 'workwell.sqlite'))
    try {
      db.exec('DROP TABLE audit_events')
    } finally {
      db.close()
    }
    const res = await call(`${gw.fhir}/Task/x`, { headers: { authorization: '' } })
    expectOutcome(res, 401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="workwell"')
    // recorded after the answer: the log line follows it
    await vi.waitFor(() => { expect(gw.logs.some((l) => l.includes('refused-access audit failed'))).toBe(true) })
  })
})
