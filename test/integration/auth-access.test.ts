import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Bundle, ServiceRequest, Task } from '@medplum/fhirtypes'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson, type Reply } from '../helpers/fixtures.ts'
import { createTestIssuer } from '../helpers/tokens.ts'

const PATCH_TYPE = 'application/json-patch+json'
const NCL = 'north-central-london'
const LEICESTER = 'leicester-leicestershire-and-rutland'

let gw: TestGateway
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

function requesterOds (partnership: string): string {
  return readJson<ServiceRequest>(`fixtures/referrals/${partnership}/gp-referral.json`).requester?.identifier?.value ?? ''
}

function expectOutcome (res: Reply, status: number, code: string): void {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/application\/fhir\+json/)
  expect(res.body.resourceType).toBe('OperationOutcome')
  expect((res.body.issue as Array<{ code: string }>)[0]?.code).toBe(code)
}

beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

describe('authentication with real signed tokens', () => {
  it('answers 401 with a Bearer challenge when there is no token', async () => {
    for (const url of [`${gw.fhir}/Task`, `${gw.fhir}/ServiceRequest/x`, `${gw.origin}/admin/deliveries`, `${gw.fhir}/Unknown`]) {
      const res = await call(url, { headers: { authorization: '' } })
      expectOutcome(res, 401, 'login')
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="workwell"')
    }
  })

  it('answers 401 invalid_token for expired, wrong-audience, wrong-issuer and wrongly signed tokens', async () => {
    const claims = { sub: 'gp-1', scope: 'workwell/referrer', ods: [requesterOds(NCL)] }
    const stranger = await createTestIssuer({ audience: 'workwell-test', issuer: gw.issuer.issuer, alg: 'ES256' })
    const other = await createTestIssuer({ audience: 'workwell-test' })
    const cases: Array<[string, string, RegExp]> = [
      ['expired', await gw.issuer.sign(claims, { now: new Date(Date.now() - 3_600_000) }), /expired/],
      ['not yet valid', await gw.issuer.sign({ ...claims, iat: undefined }, { now: new Date(Date.now() + 600_000) }), /not valid yet/],
      ['wrong audience', await gw.issuer.sign({ ...claims, aud: 'https://elsewhere.test/fhir' }), /audience/],
      ['wrong issuer', await other.sign(claims), /issuer/],
      ['wrong signature', await stranger.sign(claims, { header: { kid: gw.issuer.kid } }), /signature/],
      ['garbage', 'not.a.jwt', /well-formed/]
    ]
    for (const [name, token, reason] of cases) {
      const res = await call(`${gw.fhir}/Task`, { headers: { ...bearer(token) } })
      expectOutcome(res, 401, 'login')
      const challenge = res.headers.get('www-authenticate') ?? ''
      expect(challenge, name).toMatch(/^Bearer realm="workwell", error="invalid_token", error_description="/)
      expect(challenge, name).toMatch(reason)
    }
  })

  it('answers 403 insufficient_scope for a valid token without the route\'s role', async () => {
    const partnership = await gw.token({ roles: ['partnership'], partnership: [NCL] })
    const res = await call(`${gw.fhir}/ServiceRequest`, { body: readJson(`fixtures/referrals/${NCL}/gp-referral.json`), headers: { ...bearer(partnership) } })
    expectOutcome(res, 403, 'forbidden')
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="workwell", error="insufficient_scope", scope="workwell/referrer"')
    const referrer = await gw.token({ roles: ['referrer'], ods: [requesterOds(NCL)] })
    expectOutcome(await call(`${gw.origin}/admin/deliveries`, { headers: { ...bearer(referrer) } }), 403, 'forbidden')
    expectOutcome(await call(`${gw.origin}/admin/AuditEvent`, { headers: { ...bearer(partnership) } }), 403, 'forbidden')
  })

  it('leaves /fhir/metadata and /health/* open, and the capability statement says how to authenticate', async () => {
    for (const url of [`${gw.fhir}/metadata`, `${gw.origin}/health/live`, `${gw.origin}/health/ready`]) {
      expect((await call(url, { headers: { authorization: '' } })).status, url).toBe(200)
    }
    const cs = await call(`${gw.fhir}/metadata`, { headers: { authorization: '' } })
    expect((cs.body.rest as Array<{ security?: { service?: Array<{ coding?: Array<{ code?: string }> }> } }>)[0]?.security?.service?.[0]?.coding?.[0]?.code).toBe('OAuth')
  })

  it('sends security headers, errors included', async () => {
    for (const res of [await call(`${gw.fhir}/metadata`), await call(`${gw.fhir}/Task`, { headers: { authorization: '' } })]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('cache-control')).toBe('no-store')
    }
  })
})

describe('isolation: each sees only its own, and the rest is 404', () => {
  let task: Task
  let srId: string
  let owner: string
  let referrer: string
  let otherReferrer: string
  let ownerToken: string
  let otherPartnership: string

  beforeAll(async () => {
    referrer = await gw.token({ roles: ['referrer'], ods: [requesterOds(NCL)], client: 'gp-ncl' })
    otherReferrer = await gw.token({ roles: ['referrer'], ods: [requesterOds(LEICESTER)], client: 'gp-leicester' })
    const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { body: readJson(`fixtures/referrals/${NCL}/gp-referral.json`), headers: { ...bearer(referrer) } })
    expect(res.status).toBe(200)
    task = res.body as unknown as Task
    srId = (task.basedOn?.[0]?.reference ?? '').replace('ServiceRequest/', '')
    owner = (task.owner?.reference ?? '').replace('Organization/', '')
    ownerToken = await gw.token({ roles: ['partnership'], partnership: [owner], client: 'partnership-owner' })
    otherPartnership = await gw.token({ roles: ['partnership'], partnership: [LEICESTER], client: 'partnership-other' })
  })

  it('a referrer refers only for its own ODS codes', async () => {
    const res = await call(`${gw.fhir}/ServiceRequest`, { body: readJson(`fixtures/referrals/${NCL}/gp-referral.json`), headers: { ...bearer(otherReferrer) } })
    expectOutcome(res, 403, 'forbidden')
    expect((res.body.issue as Array<{ expression?: string[] }>)[0]?.expression).toStrictEqual(['ServiceRequest.requester'])
  })

  it('reads: the owner and the referrer see the Task and the referral; others get the same 404 as an unknown id', async () => {
    for (const token of [ownerToken, referrer]) {
      expect((await call(`${gw.fhir}/Task/${task.id ?? ''}`, { headers: { ...bearer(token) } })).status).toBe(200)
      expect((await call(`${gw.fhir}/ServiceRequest/${srId}`, { headers: { ...bearer(token) } })).status).toBe(200)
    }
    for (const token of [otherPartnership, otherReferrer]) {
      const t = await call(`${gw.fhir}/Task/${task.id ?? ''}`, { headers: { ...bearer(token) } })
      expectOutcome(t, 404, 'not-found')
      const unknown = await call(`${gw.fhir}/Task/00000000-0000-0000-0000-000000000000`, { headers: { ...bearer(token) } })
      expect(t.text.replace(task.id ?? '', 'ID')).toBe(unknown.text.replace('00000000-0000-0000-0000-000000000000', 'ID'))
      expectOutcome(await call(`${gw.fhir}/ServiceRequest/${srId}`, { headers: { ...bearer(token) } }), 404, 'not-found')
      // a conditional read must not confirm it either
      expect((await call(`${gw.fhir}/Task/${task.id ?? ''}`, { headers: { ...bearer(token), 'if-none-match': 'W/"1"' } })).status).toBe(404)
    }
  })

  it('updates: only the owning partnership moves the Task; another gets 404 and nothing changes', async () => {
    const op = [{ op: 'replace', path: '/status', value: 'received' }]
    for (const token of [otherPartnership]) {
      const res = await call(`${gw.fhir}/Task/${task.id ?? ''}`, { method: 'PATCH', raw: JSON.stringify(op), headers: { ...bearer(token), 'content-type': PATCH_TYPE, 'if-match': 'W/"1"' } })
      expectOutcome(res, 404, 'not-found')
    }
    expectOutcome(await call(`${gw.fhir}/Task/${task.id ?? ''}`, { method: 'PATCH', raw: JSON.stringify(op), headers: { ...bearer(referrer), 'content-type': PATCH_TYPE, 'if-match': 'W/"1"' } }), 403, 'forbidden')
    const still = await call(`${gw.fhir}/Task/${task.id ?? ''}`, { headers: { ...bearer(ownerToken) } })
    expect(still.headers.get('etag')).toBe('W/"1"')
    const own = await call(`${gw.fhir}/Task/${task.id ?? ''}`, { method: 'PATCH', raw: JSON.stringify(op), headers: { ...bearer(ownerToken), 'content-type': PATCH_TYPE, 'if-match': 'W/"1"' } })
    expect(own.status, own.text).toBe(200)
  })

  it('searches are filtered the same way', async () => {
    const ids = async (token: string, query = ''): Promise<string[]> => {
      const res = await call(`${gw.fhir}/Task${query}`, { headers: { ...bearer(token) } })
      expect(res.status).toBe(200)
      return ((res.body as unknown as Bundle<Task>).entry ?? []).map((e) => e.resource?.id ?? '')
    }
    expect(await ids(ownerToken)).toContain(task.id)
    expect(await ids(referrer)).toContain(task.id)
    expect(await ids(otherPartnership)).not.toContain(task.id)
    expect(await ids(otherReferrer)).not.toContain(task.id)
    expect(await ids(otherPartnership, `?owner=Organization/${owner}`)).toStrictEqual([])
    expect(await ids(otherReferrer, `?based-on=ServiceRequest/${srId}`)).toStrictEqual([])
    // the scope is part of the query, so the total counts only what the caller may see
    const page = await call(`${gw.fhir}/Task`, { headers: { ...bearer(otherReferrer) } })
    expect(page.body.total).toBe(0)
    const own = await call(`${gw.fhir}/Task?_count=100`, { headers: { ...bearer(referrer) } })
    expect(own.body.total).toBe(((own.body as unknown as Bundle<Task>).entry ?? []).length)
  })

  it('audits every create, read, search and update with who did it', async () => {
    const operator = await gw.token({ roles: ['operator'], client: 'ops-1' })
    const res = await call(`${gw.origin}/admin/AuditEvent?entity=Task/${task.id ?? ''}`, { headers: { ...bearer(operator) } })
    expect(res.status).toBe(200)
    const events = ((res.body as unknown as Bundle).entry ?? []).map((e) => e.resource as { subtype?: Array<{ code?: string }>, agent: Array<{ who?: { identifier?: { value?: string } } }>, outcome?: string })
    const seen = events.map((e) => `${e.subtype?.[0]?.code ?? ''} ${e.agent[0]?.who?.identifier?.value ?? ''}`)
    expect(seen).toContain(`create client/gp-ncl ods/${requesterOds(NCL)}`)
    expect(seen).toContain(`read client/partnership-owner partnership/${owner}`)
    expect(seen).toContain(`patch client/partnership-owner partnership/${owner}`)
    // the refused read by another partnership left no "read" by it
    expect(seen.filter((s) => s.startsWith('read client/partnership-other'))).toStrictEqual([])
    const byAgent = await call(`${gw.origin}/admin/AuditEvent?agent=${encodeURIComponent('client/gp-ncl')}`, { headers: { ...bearer(operator) } })
    const agents = ((byAgent.body as unknown as Bundle).entry ?? []).map((e) => (e.resource as { agent: Array<{ who?: { identifier?: { value?: string } } }> }).agent[0]?.who?.identifier?.value ?? '')
    expect(agents.length).toBeGreaterThan(0)
    expect(agents.every((a) => a.includes('client/gp-ncl'))).toBe(true)
    const searches = await call(`${gw.origin}/admin/AuditEvent?entity=Task`, { headers: { ...bearer(operator) } })
    expect(((searches.body as unknown as Bundle).entry ?? []).length).toBeGreaterThan(0)
  })
})
