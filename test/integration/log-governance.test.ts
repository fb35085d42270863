import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, fixturePartnerships, readJson } from '../helpers/fixtures.ts'

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
        const res = await call(url, { body: referral })
        expect([200, 201]).toContain(res.status)
      }
      // an invalid one too: error paths must not echo the body into logs
      const broken = readJson<Record<string, unknown>>(`fixtures/referrals/${p}/gp-referral.json`)
      broken.status = 'bogus'
      expect((await call(`${gw.fhir}/ServiceRequest`, { body: broken })).status).toBe(422)
    }
    expect(personal.size).toBeGreaterThan(100)
    const logs = gw.logs.join('')
    expect(logs).toContain('referral accepted')
    for (const value of personal) {
      expect(logs.includes(value), `log contains "${value}"`).toBe(false)
    }
  })
})
