import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson, type Reply } from '../helpers/fixtures.ts'
import { asOperator, asPartnership, asReferrer } from '../helpers/tokens.ts'

let gw: TestGateway
let taskId: string
let srId: string
let status: string
let owner: string

beforeAll(async () => {
  gw = await startGateway()
  const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/north-central-london/fit-note-triage.json') })
  expect(res.status, res.text).toBe(200)
  taskId = String(res.body.id)
  status = String(res.body.status)
  owner = String((res.body.owner as { reference: string }).reference)
  srId = String((res.body.basedOn as Array<{ reference: string }>)[0]?.reference).replace('ServiceRequest/', '')
})
afterAll(async () => { await gw.close() })

/** A 400 OperationOutcome whose one issue names `expression`. */
function refused (res: Reply, expression: string, code = 'invalid'): void {
  expect(res.status, res.text).toBe(400)
  expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
  expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, expression: [expression] }] })
}

const TOO_LONG_ID = 'x'.repeat(65)

describe('each route checks its params, search parameters and headers, naming what is wrong', () => {
  it('a malformed id in the URL is 400 naming the element, on reads, updates and the admin replay', async () => {
    refused(await call(`${gw.fhir}/Task/${TOO_LONG_ID}`, { headers: await asPartnership(gw) }), 'Task.id')
    refused(await call(`${gw.fhir}/ServiceRequest/bad%20id`, { headers: await asReferrer(gw) }), 'ServiceRequest.id')
    refused(await call(`${gw.fhir}/Organization/${TOO_LONG_ID}`, { headers: await asReferrer(gw) }), 'Organization.id')
    refused(await call(`${gw.fhir}/StructureDefinition/bad%21id`, { headers: await asReferrer(gw) }), 'StructureDefinition.id')
    refused(await call(`${gw.fhir}/Task/${TOO_LONG_ID}`, { method: 'PUT', body: { resourceType: 'Task', id: TOO_LONG_ID }, headers: { ...await asPartnership(gw), 'if-match': 'W/"1"' } }), 'Task.id')
    refused(await call(`${gw.fhir}/Task/bad%20id`, { method: 'PATCH', raw: '[]', headers: { ...await asPartnership(gw), 'content-type': 'application/json-patch+json', 'if-match': 'W/"1"' } }), 'Task.id')
    refused(await call(`${gw.origin}/admin/deliveries/bad%20id/$replay`, { method: 'POST', headers: await asOperator(gw) }), 'id')
    // a well-formed id that is not there is still 404
    expect((await call(`${gw.fhir}/Task/no-such-task`, { headers: await asPartnership(gw) })).status).toBe(404)
  })

  it('checks the token before the input: a malformed id without a token is 401, with the wrong role 403', async () => {
    expect((await call(`${gw.fhir}/Task/${TOO_LONG_ID}`)).status).toBe(401)
    expect((await call(`${gw.origin}/admin/deliveries?_count=abc`, { headers: await asPartnership(gw) })).status).toBe(403)
  })

  it('a malformed or repeated search parameter is 400 naming it', async () => {
    const partnership = await asPartnership(gw)
    refused(await call(`${gw.fhir}/Task?_count=abc`, { headers: partnership }), '_count')
    refused(await call(`${gw.fhir}/Task?_count=101`, { headers: partnership }), '_count')
    refused(await call(`${gw.fhir}/Task?_count=1&_count=2`, { headers: partnership }), '_count')
    refused(await call(`${gw.fhir}/Task?_offset=-1`, { headers: partnership }), '_offset')
    refused(await call(`${gw.fhir}/Task?status=bogus`, { headers: partnership }), 'status')
    refused(await call(`${gw.fhir}/Task?owner=a&owner=b`, { headers: partnership }), 'owner')
    refused(await call(`${gw.fhir}/Task?based-on=Patient/x`, { headers: partnership }), 'based-on')
    refused(await call(`${gw.fhir}/ServiceRequest?identifier=a&identifier=b`, { headers: await asReferrer(gw) }), 'identifier')
    const operator = await asOperator(gw)
    refused(await call(`${gw.origin}/admin/AuditEvent?_count=abc`, { headers: operator }), '_count')
    refused(await call(`${gw.origin}/admin/AuditEvent?entity=not%20an%20entity`, { headers: operator }), 'entity')
    refused(await call(`${gw.origin}/admin/deliveries?_count=abc`, { headers: operator }), '_count')
    refused(await call(`${gw.origin}/admin/deliveries?status=lost`, { headers: operator }), 'status')
  })

  it('an unknown search parameter is ignored on Task unless Prefer: handling=strict, and always refused on ServiceRequest', async () => {
    const partnership = await asPartnership(gw)
    const lenient = await call(`${gw.fhir}/Task?colour=blue&_count=1`, { headers: partnership })
    expect(lenient.status).toBe(200)
    expect(lenient.body.total).toBeGreaterThanOrEqual(1)
    refused(await call(`${gw.fhir}/Task?colour=blue`, { headers: { ...partnership, prefer: 'handling=strict' } }), 'colour', 'not-supported')
    // ServiceRequest is searched by identifier only, and says so whatever the Prefer header
    refused(await call(`${gw.fhir}/ServiceRequest?identifier=x&colour=blue`, { headers: await asReferrer(gw) }), 'colour', 'not-supported')
  })

  it('a malformed header is 400 naming it', async () => {
    refused(await call(`${gw.fhir}/ServiceRequest`, { body: readJson('fixtures/referrals/north-central-london/gp-referral.json'), headers: { ...await asReferrer(gw), 'x-request-id': 'not-a-uuid' } }), 'X-Request-Id')
    refused(await call(`${gw.fhir}/Task/${taskId}`, { method: 'PUT', body: { resourceType: 'Task', id: taskId }, headers: { ...await asPartnership(gw), 'if-match': `W/"${'9'.repeat(300)}"` } }), 'If-Match')
    refused(await call(`${gw.fhir}/Task`, { headers: { ...await asPartnership(gw), prefer: `handling=strict; ${'x'.repeat(300)}` } }), 'Prefer')
    refused(await call(`${gw.fhir}/Task/${taskId}`, { headers: { ...await asPartnership(gw), 'if-none-match': `W/"${'1'.repeat(300)}"` } }), 'If-None-Match')
  })

  it('good requests pass the same checks', async () => {
    const partnership = await asPartnership(gw)
    expect((await call(`${gw.fhir}/Task/${taskId}`, { headers: partnership })).status).toBe(200)
    expect((await call(`${gw.fhir}/ServiceRequest/${srId}`, { headers: await asReferrer(gw) })).status).toBe(200)
    const page = await call(`${gw.fhir}/Task?_count=5&_offset=0&status=${status}&owner=${owner}&_lastUpdated=ge2020-01-01&_lastUpdated=lt2999-01-01`, { headers: partnership })
    expect(page.status, page.text).toBe(200)
    expect((page.body.entry as Array<{ resource: { id: string } }>).map((e) => e.resource.id)).toContain(taskId)
    expect((await call(`${gw.origin}/admin/AuditEvent?entity=Task/${taskId}&_count=5`, { headers: await asOperator(gw) })).status).toBe(200)
    expect((await call(`${gw.origin}/admin/deliveries?status=pending&_count=0`, { headers: await asOperator(gw) })).status).toBe(200)
  })

  it('the MessageDefinition search bounds its repeatable parameters, naming the one repeated too often', async () => {
    const eleven = Array.from({ length: 11 }, (_v, i) => `context=a|${i}`).join('&')
    refused(await call(`${gw.fhir}/MessageDefinition?${eleven}`, { headers: await asReferrer(gw) }), 'context')
    const ten = Array.from({ length: 10 }, (_v, i) => `context=a|${i}`).join('&')
    expect((await call(`${gw.fhir}/MessageDefinition?${ten}`, { headers: await asReferrer(gw) })).status).toBe(200)
  })
})
