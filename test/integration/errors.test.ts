import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson, type Reply } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

let gw: TestGateway
beforeAll(async () => { gw = await startGateway({ env: { WORKWELL_BODY_LIMIT: '1048576' } }) })
afterAll(async () => { await gw.close() })

type Issue = { severity: string, code: string, diagnostics: string, expression?: string[] }

/** Every error is an OperationOutcome with severity, code and diagnostics. */
function outcome (res: Reply, status: number, code: string): Issue {
  expect(res.status, res.text).toBe(status)
  expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
  expect(res.body.resourceType).toBe('OperationOutcome')
  const issue = (res.body.issue as Issue[])[0]!
  expect(issue.severity).toBe('error')
  expect(issue.code).toBe(code)
  expect(issue.diagnostics.length).toBeGreaterThan(5)
  return issue
}

async function taskTotal (): Promise<number> {
  return (await call(`${gw.fhir}/Task?_count=1`, { headers: await asPartnership(gw) })).body.total as number
}

describe('bad input gets a clear OperationOutcome, never a 500', () => {
  it('400 for unreadable JSON', async () => {
    const issue = outcome(await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), raw: '{"resourceType": "ServiceRequest",' }), 400, 'structure')
    expect(issue.expression).toBeDefined()
  })

  it('400 for __proto__ keys (prototype pollution)', async () => {
    outcome(await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), raw: '{"resourceType":"ServiceRequest","__proto__":{"polluted":true}}' }), 400, 'security')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('400 for deeply nested JSON and huge arrays', async () => {
    const deep = `{"resourceType":"ServiceRequest","note":${'['.repeat(5000)}${']'.repeat(5000)}}`
    expect(outcome(await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), raw: deep }), 400, 'too-costly').diagnostics).toContain('deeper')
    const huge = `{"resourceType":"ServiceRequest","identifier":[${Array.from({ length: 20_000 }, () => '{}').join(',')}]}`
    expect(outcome(await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), raw: huge }), 400, 'too-costly').diagnostics).toContain('array')
  })

  it('400 for an object with more members than any FHIR element has', async () => {
    const wide = JSON.stringify({ resourceType: 'ServiceRequest', ...Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i])) })
    expect(outcome(await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), raw: wide }), 400, 'too-costly').diagnostics).toContain('members')
  })

  it('lists at most 100 issues however many faults a body has, and says how many more', async () => {
    // an unknown element in each of 5 000 identifiers: 5 000 faults from a ~100 KB body
    const body = { ...readJson('fixtures/referrals/black-country/gp-referral.json'), identifier: Array.from({ length: 5_000 }, () => ({ bogus: 1 })) }
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body })
    outcome(res, 422, 'structure')
    const issues = res.body.issue as Issue[]
    expect(issues).toHaveLength(100)
    expect(issues[99]).toMatchObject({ severity: 'error', code: 'too-costly' })
    expect(issues[99]!.diagnostics).toMatch(/^At least \d+ more issues are not listed/)
    expect(res.text.length).toBeLessThan(40_000)
  })

  it('415 for a body that is not FHIR JSON', async () => {
    const issue = outcome(await call(`${gw.fhir}/ServiceRequest`, { raw: '<ServiceRequest/>', headers: { ...await asReferrer(gw), 'content-type': 'application/fhir+xml' } }), 415, 'not-supported')
    expect(issue.expression).toEqual(['Content-Type'])
  })

  it('406 when the client accepts only XML, or asks for _format=xml', async () => {
    outcome(await call(`${gw.fhir}/metadata`, { headers: { accept: 'application/fhir+xml' } }), 406, 'not-supported')
    outcome(await call(`${gw.fhir}/metadata?_format=xml`), 406, 'not-supported')
    expect((await call(`${gw.fhir}/metadata`, { headers: { accept: 'application/fhir+json; fhirVersion=4.0' } })).status).toBe(200)
  })

  it('413 for a body over 1 MB, naming the resource the door takes', async () => {
    const big = JSON.stringify({ resourceType: 'ServiceRequest', note: [{ text: 'x'.repeat(1_100_000) }] })
    expect(outcome(await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), raw: big }), 413, 'too-costly').expression).toEqual(['ServiceRequest'])
  })

  it('404 for an unknown route and an unknown resource', async () => {
    outcome(await call(`${gw.fhir}/Nothing/here`, { headers: await asReferrer(gw) }), 404, 'not-found')
    const missing = outcome(await call(`${gw.fhir}/Task/does-not-exist`, { headers: await asPartnership(gw) }), 404, 'not-found')
    expect(missing.expression).toEqual(['Task.id'])
  })

  it('405 with Allow for a wrong method', async () => {
    const res = await call(`${gw.fhir}/metadata`, { headers: await asReferrer(gw), method: 'DELETE' })
    outcome(res, 405, 'not-supported')
    expect(res.headers.get('allow')).toBe('GET')
    const put = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), method: 'PUT', body: {} })
    outcome(put, 405, 'not-supported')
    expect(put.headers.get('allow')).toContain('POST')
  })

  it('422 with the element path for a referral that breaks the profile, and nothing is stored', async () => {
    const before = await taskTotal()
    const referral = readJson<Record<string, unknown>>('fixtures/referrals/north-central-london/gp-referral.json')
    delete referral.subject
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: referral })
    outcome(res, 422, (res.body.issue as Issue[])[0]!.code)
    expect((res.body.issue as Issue[]).some((i) => i.expression?.includes('ServiceRequest.subject'))).toBe(true)
    expect(await taskTotal()).toBe(before)
  })

  it('422 for a bad NHS number check digit, pointing inside the contained Patient', async () => {
    const referral = readJson<{ contained: Array<{ identifier?: Array<{ value: string }> }> }>('fixtures/referrals/north-central-london/gp-referral.json')
    referral.contained[0]!.identifier![0]!.value = '9912003890'
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: referral })
    expect(res.status).toBe(422)
    expect(JSON.stringify(res.body.issue)).toContain('ServiceRequest.contained[0].identifier[0]')
  })

  it('400 for an X-Request-Id that is not a UUID', async () => {
    const res = await call(`${gw.fhir}/ServiceRequest`, { body: readJson('fixtures/referrals/north-central-london/gp-referral.json'), headers: { ...await asReferrer(gw), 'x-request-id': 'not-a-uuid' } })
    expect(outcome(res, 400, 'invalid').expression).toEqual(['X-Request-Id'])
  })

  it('400 for a bad search parameter, and strict handling refuses unknown ones', async () => {
    expect(outcome(await call(`${gw.fhir}/Task?_count=0`, { headers: await asPartnership(gw) }), 400, 'invalid').expression).toEqual(['_count'])
    expect(outcome(await call(`${gw.fhir}/Task?_lastUpdated=yesterday`, { headers: await asPartnership(gw) }), 400, 'invalid').expression).toEqual(['_lastUpdated'])
    expect((await call(`${gw.fhir}/Task?colour=blue`, { headers: await asPartnership(gw) })).status).toBe(200)
    outcome(await call(`${gw.fhir}/Task?colour=blue`, { headers: { ...await asPartnership(gw), prefer: 'handling=strict' } }), 400, 'not-supported')
  })

  it('422 for a body of the wrong type, and 400 for JSON that is not an object', async () => {
    outcome(await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: { resourceType: 'Patient' } }), 422, 'invalid')
    outcome(await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), raw: '[1,2,3]' }), 400, 'structure')
    outcome(await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), raw: 'null' }), 400, 'structure')
  })

  it('echoes X-Correlation-Id on errors too', async () => {
    const res = await call(`${gw.fhir}/Nothing`, { headers: { ...await asReferrer(gw), 'x-correlation-id': 'corr-123' } })
    expect(res.headers.get('x-correlation-id')).toBe('corr-123')
  })
})
