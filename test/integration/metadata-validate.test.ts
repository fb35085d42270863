import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

type Resource = { type: string, interaction?: Array<{ code: string }>, operation?: Array<{ name: string }>, searchParam?: Array<{ name: string }>, supportedProfile?: string[] }

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

describe('GET /fhir/metadata', () => {
  it('is a CapabilityStatement generated from the routes that exist', async () => {
    const res = await call(`${gw.fhir}/metadata`)
    expect(res.status).toBe(200)
    expect(res.body.resourceType).toBe('CapabilityStatement')
    expect(res.body.fhirVersion).toBe('4.0.1')
    const rest = (res.body.rest as Array<{ resource: Resource[], interaction: Array<{ code: string }>, operation: Array<{ name: string }> }>)[0]!
    const byType = new Map(rest.resource.map((r) => [r.type, r]))
    expect(byType.get('ServiceRequest')?.interaction?.map((i) => i.code).sort()).toEqual(['create', 'read', 'search-type', 'vread'])
    expect(byType.get('ServiceRequest')?.searchParam?.map((p) => p.name)).toEqual(['identifier'])
    expect(byType.get('ServiceRequest')?.operation?.map((o) => o.name).sort()).toEqual(['triage', 'validate'])
    expect(byType.get('ServiceRequest')?.supportedProfile).toContain('https://fhir.workwell.example/StructureDefinition/WorkWell-Referral')
    expect(byType.get('Task')?.interaction?.map((i) => i.code).sort()).toEqual(['patch', 'read', 'search-type', 'update', 'vread'])
    expect(byType.get('Task')?.searchParam?.map((p) => p.name).sort()).toEqual(['_count', '_lastUpdated', 'based-on', 'identifier', 'owner', 'status'])
    expect(rest.interaction.map((i) => i.code)).toEqual(['transaction'])
    expect(rest.operation.map((o) => o.name).sort()).toEqual(['process-message', 'validate'])
    // Every read the statement declares is really routed: an unknown id is a FHIR 404, not a route miss.
    for (const r of rest.resource.filter((x) => x.interaction?.some((i) => i.code === 'read'))) {
      const miss = await call(`${gw.fhir}/${r.type}/no-such-id`, { headers: await asReferrer(gw) })
      expect(miss.status).toBe(404)
      expect((miss.body.issue as Array<{ expression: string[] }>)[0]!.expression).toEqual([`${r.type}.id`])
    }
    // and every vread: an unknown id's version is the same FHIR 404
    for (const r of rest.resource.filter((x) => x.interaction?.some((i) => i.code === 'vread'))) {
      const miss = await call(`${gw.fhir}/${r.type}/no-such-id/_history/1`, { headers: await asReferrer(gw) })
      expect(miss.status).toBe(404)
      expect((miss.body.issue as Array<{ expression: string[] }>)[0]!.expression).toEqual([`${r.type}.id`])
    }
  })
})

describe('POST $validate', () => {
  it('answers 200 with an OperationOutcome for valid and invalid resources alike', async () => {
    const valid = await call(`${gw.fhir}/ServiceRequest/$validate`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/north-central-london/gp-referral.json') })
    expect(valid.status).toBe(200)
    expect((valid.body.issue as Array<{ severity: string }>).every((i) => i.severity !== 'error')).toBe(true)
    const bad = readJson<Record<string, unknown>>('fixtures/referrals/north-central-london/gp-referral.json')
    bad.status = 'bogus'
    const invalid = await call(`${gw.fhir}/$validate`, { headers: await asReferrer(gw), body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: bad }] } })
    expect(invalid.status).toBe(200)
    const issues = invalid.body.issue as Array<{ severity: string, expression?: string[] }>
    expect(issues.some((i) => i.severity === 'error' && i.expression?.includes('ServiceRequest.status'))).toBe(true)
  })

  it('reports a resource of the wrong type for the type-level operation', async () => {
    const res = await call(`${gw.fhir}/ServiceRequest/$validate`, { headers: await asReferrer(gw), body: { resourceType: 'Patient' } })
    expect(res.status).toBe(200)
    expect(JSON.stringify(res.body)).toContain('ServiceRequest.resourceType')
  })
})

describe('POST $validate with mode=create', () => {
  /** A ServiceRequest that is valid R4 but not a WorkWell referral: no Patient, no requester. */
  const plain = { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/x' } }

  it('answers exactly the issues a create answers, where the general $validate finds none', async () => {
    const general = await call(`${gw.fhir}/ServiceRequest/$validate`, { headers: await asReferrer(gw), body: plain })
    expect((general.body.issue as Array<{ severity: string }>).every((i) => i.severity !== 'error')).toBe(true)
    const create = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: plain })
    expect(create.status).toBe(422)
    for (const asked of [
      call(`${gw.fhir}/ServiceRequest/$validate?mode=create`, { headers: await asReferrer(gw), body: plain }),
      call(`${gw.fhir}/ServiceRequest/$validate`, { headers: await asReferrer(gw), body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: plain }, { name: 'mode', valueCode: 'create' }] } })
    ]) {
      const r = await asked
      expect(r.status).toBe(200)
      expect(r.body.issue).toStrictEqual(create.body.issue)
    }
  })

  it('says when a create would be accepted, and where it would be routed, storing nothing', async () => {
    const referral = readJson<Record<string, unknown>>('fixtures/referrals/north-central-london/gp-referral.json')
    const ok = await call(`${gw.fhir}/ServiceRequest/$validate?mode=create`, { headers: await asReferrer(gw), body: referral })
    expect(ok.body.issue).toStrictEqual([expect.objectContaining({ severity: 'information', diagnostics: expect.stringMatching(/^A create would be accepted: routed to north-central-london/) })])
    const tx = readJson<Record<string, unknown>>('fixtures/bundles/greater-manchester-transaction.json')
    const bundle = await call(`${gw.fhir}/Bundle/$validate?mode=create`, { headers: await asReferrer(gw), body: tx })
    expect(bundle.body.issue).toStrictEqual([expect.objectContaining({ diagnostics: expect.stringMatching(/routed to greater-manchester/) })])
    const created = await call(`${gw.fhir}/Task?_count=100`, { headers: await asPartnership(gw) })
    // nothing was stored by either
    expect((created.body.entry as unknown[] | undefined) ?? []).toHaveLength(0)
  })

  it('says in the CapabilityStatement what each mode does', async () => {
    const res = await call(`${gw.fhir}/metadata`)
    const rest = (res.body.rest as Array<{ resource: Array<{ type: string, operation?: Array<{ name: string, documentation?: string }> }> }>)[0]!
    const validate = rest.resource.find((r) => r.type === 'ServiceRequest')?.operation?.find((o) => o.name === 'validate')
    expect(validate?.documentation).toMatch(/mode=create/)
  })
})
