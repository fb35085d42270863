import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, fixturePartnerships, readJson } from '../helpers/fixtures.ts'
import { asReferrer, tokenFor } from '../helpers/tokens.ts'

interface PatientLike { identifier?: Array<{ value?: string }>, name?: Array<{ family?: string, given?: string[] }>, birthDate?: string, address?: Array<{ line?: string[], postalCode?: string }> }

/** Every personal value in a fixture's contained Patient. */
function personalValues (referral: { contained?: Array<PatientLike & { resourceType: string }> }): string[] {
  const out: string[] = []
  for (const p of (referral.contained ?? []).filter((r) => r.resourceType === 'Patient')) {
    for (const i of p.identifier ?? []) if (i.value !== undefined) out.push(i.value)
    for (const n of p.name ?? []) out.push(...(n.given ?? []), ...(n.family === undefined ? [] : [n.family]))
    if (p.birthDate !== undefined) out.push(p.birthDate)
    for (const a of p.address ?? []) out.push(...(a.line ?? []), ...(a.postalCode === undefined ? [] : [a.postalCode, a.postalCode.replace(' ', '')]))
  }
  return out
}

let gw: TestGateway
beforeAll(async () => { gw = await startGateway({ captureLogs: true, env: { LOG_LEVEL: 'debug' } }) })
afterAll(async () => { await gw.close() })

describe('logs carry ids, codes and timings, never personal data', () => {
  it('leaks no NHS number, name, birth date, address or postcode from any fixture', async () => {
    const personal = new Set<string>()
    for (const p of fixturePartnerships()) {
      for (const kind of ['gp-referral', 'fit-note-triage']) {
        const referral = readJson<{ contained?: Array<PatientLike & { resourceType: string }> }>(`fixtures/referrals/${p}/${kind}.json`)
        for (const v of personalValues(referral)) personal.add(v)
        const url = kind === 'gp-referral' ? `${gw.fhir}/ServiceRequest?name=${encodeURIComponent(personalValues(referral)[1] ?? '')}` : `${gw.fhir}/ServiceRequest/$triage`
        const res = await call(url, { body: referral, headers: await asReferrer(gw) })
        expect([200, 201]).toContain(res.status)
      }
      // an invalid one too: error paths must not echo the body into logs
      const broken = readJson<Record<string, unknown>>(`fixtures/referrals/${p}/gp-referral.json`)
      broken.status = 'bogus'
      expect((await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: broken })).status).toBe(422)
    }
    expect(personal.size).toBeGreaterThan(100)
    const logs = gw.logs.join('')
    expect(logs).toContain('referral accepted')
    for (const value of personal) {
      expect(logs.includes(value), `log contains "${value}"`).toBe(false)
    }
  })
})

describe('logs carry no tokens or secrets', () => {
  it('leaks no bearer token, token part or Basic credential on any path, refused ones included', async () => {
    const referral = readJson<{ requester?: { identifier?: { value?: string } } }>('fixtures/referrals/north-central-london/gp-referral.json')
    const referrer = await gw.token({ roles: ['referrer'], ods: [referral.requester?.identifier?.value ?? ''] })
    const created = await call(`${gw.fhir}/ServiceRequest/$triage`, { body: referral, headers: { authorization: `Bearer ${referrer}` } })
    expect(created.status).toBe(200)
    const taskId = String(created.body.id)
    const owner = String((created.body.owner as { reference?: string }).reference).replace('Organization/', '')
    const partnership = await gw.token({ roles: ['partnership'], partnership: [owner] })
    const stranger = await gw.token({ roles: ['partnership'], partnership: ['no-such-partnership'] })
    const expired = await gw.issuer.sign({ sub: 'late', scope: 'workwell/operator' }, { now: new Date(Date.now() - 7_200_000) })
    const operator = await tokenFor(gw, 'operator')
    const tokens = [operator, referrer, partnership, stranger, expired]
    const steps: Array<[string, Record<string, string>, number]> = [
      [`${gw.fhir}/Task/${taskId}`, { authorization: `Bearer ${partnership}` }, 200],
      [`${gw.fhir}/Task/${taskId}`, { authorization: `Bearer ${stranger}` }, 404],
      [`${gw.fhir}/Task?owner=Organization/${owner}`, { authorization: `Bearer ${partnership}` }, 200],
      [`${gw.origin}/admin/AuditEvent?entity=Task/${taskId}`, { authorization: `Bearer ${operator}` }, 200],
      [`${gw.origin}/admin/deliveries`, { authorization: `Bearer ${referrer}` }, 403],
      [`${gw.fhir}/Task`, { authorization: `Bearer ${expired}` }, 401],
      [`${gw.fhir}/Task`, { authorization: `Bearer ${referrer}x` }, 401],
      [`${gw.fhir}/Task`, { authorization: 'Basic dXNlcjpzZWNyZXQtcGFzc3dvcmQ=' }, 401]
    ]
    for (const [url, headers, status] of steps) expect((await call(url, { headers })).status, url).toBe(status)
    const logs = gw.logs.join('')
    expect(logs).toContain('request refused')
    for (const token of tokens) {
      const [header, payload, signature] = token.split('.')
      for (const part of [token, payload ?? '', signature ?? '']) expect(logs.includes(part), `log contains part of a token (${header ?? ''})`).toBe(false)
    }
    expect(logs).not.toMatch(/Bearer\s+ey/i)
    expect(logs).not.toContain('dXNlcjpzZWNyZXQtcGFzc3dvcmQ=')
  })
})
