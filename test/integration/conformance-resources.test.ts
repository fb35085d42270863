import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call } from '../helpers/fixtures.ts'
import { asReferrer } from '../helpers/tokens.ts'

type Resource = { type: string, interaction?: Array<{ code: string }>, supportedProfile?: string[] }

const SD = 'https://fhir.workwell.example/StructureDefinition'

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

describe('the WorkWell conformance resources over HTTP', () => {
  it('lists every WorkWell profile as a supportedProfile of its resource type', async () => {
    const res = await call(`${gw.fhir}/metadata`)
    const rest = (res.body.rest as Array<{ resource: Resource[] }>)[0]!
    const byType = new Map(rest.resource.map((r) => [r.type, r]))
    expect(byType.get('ServiceRequest')?.supportedProfile).toEqual(expect.arrayContaining([`${SD}/WorkWell-Referral`, `${SD}/WorkWell-FitNoteTriageRequest`]))
    expect(byType.get('Observation')?.supportedProfile).toEqual(expect.arrayContaining([`${SD}/WorkWell-FitNote`, `${SD}/WorkWell-EmploymentStatus`]))
    expect(byType.get('Consent')?.supportedProfile).toEqual([`${SD}/WorkWell-ReferralConsent`])
    expect(byType.get('Patient')?.supportedProfile).toEqual([`${SD}/WorkWell-Patient`])
    expect(byType.get('Task')?.supportedProfile).toEqual([`${SD}/WorkWell-TriageTask`])
    for (const type of ['StructureDefinition', 'ValueSet', 'CodeSystem']) {
      expect(byType.get(type)?.interaction?.map((i) => i.code)).toEqual(['read'])
    }
  })

  it('serves each file of profiles/ by type and id, exactly as committed', async () => {
    const files = readdirSync(join(REPO, 'profiles')).filter((f) => f.endsWith('.json'))
    expect(files.length).toBeGreaterThan(30)
    for (const file of files) {
      const committed = JSON.parse(readFileSync(join(REPO, 'profiles', file), 'utf8')) as { resourceType: string, id: string }
      const res = await call(`${gw.fhir}/${committed.resourceType}/${committed.id}`, { headers: await asReferrer(gw) })
      expect(res.status, file).toBe(200)
      expect(res.headers.get('content-type')).toContain('application/fhir+json')
      expect(res.body).toStrictEqual(committed)
    }
  })

  it('answers an unknown or malformed id with an OperationOutcome', async () => {
    const miss = await call(`${gw.fhir}/ValueSet/no-such-value-set`, { headers: await asReferrer(gw) })
    expect(miss.status).toBe(404)
    expect((miss.body.issue as Array<{ expression: string[] }>)[0]!.expression).toEqual(['ValueSet.id'])
    const bad = await call(`${gw.fhir}/CodeSystem/${'x'.repeat(65)}`, { headers: await asReferrer(gw) })
    expect(bad.status).toBe(400)
    expect(bad.body.resourceType).toBe('OperationOutcome')
  })
})
