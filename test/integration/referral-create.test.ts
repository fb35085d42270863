import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_URL, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, fixturePartnerships, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

type Task = {
  id: string,
  status: string,
  intent: string,
  priority: string
  basedOn: Array<{ reference: string }>,
  focus: { reference: string }
  for: { identifier?: { value: string } },
  owner: { reference: string, identifier: { system: string, value: string } }
  requester: { identifier: { value: string } }
  businessStatus: { coding: Array<{ code: string }> }
  output?: Array<{ valueCodeableConcept: { coding: Array<{ code: string }> }, extension: Array<{ valueString: string }> }>
  extension: Array<{ url: string, valueString: string }>
}

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

async function taskFor (serviceRequestId: string): Promise<Task> {
  const search = await call(`${gw.fhir}/Task?based-on=ServiceRequest/${serviceRequestId}`, { headers: await asPartnership(gw) })
  expect(search.status).toBe(200)
  const entries = search.body.entry as Array<{ resource: Task }>
  expect(entries).toHaveLength(1)
  return entries[0]!.resource
}

describe('POST /fhir/ServiceRequest', () => {
  it('creates the referral: 201, Location, ETag, the stored ServiceRequest, and a Task', async () => {
    const referral = readJson('fixtures/referrals/north-central-london/gp-referral.json')
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: referral })
    expect(res.status).toBe(201)
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
    const id = res.body.id as string
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('location')).toBe(`${BASE_URL}/ServiceRequest/${id}/_history/1`)
    expect(res.headers.get('etag')).toBe('W/"1"')
    expect(res.headers.get('last-modified')).not.toBeNull()
    expect(res.body.resourceType).toBe('ServiceRequest')
    expect((res.body.meta as { versionId: string }).versionId).toBe('1')
    expect(res.headers.get('x-correlation-id')).toMatch(/.+/)

    const read = await call(`${gw.fhir}/ServiceRequest/${id}`, { headers: await asReferrer(gw) })
    expect(read.status).toBe(200)
    expect(read.body).toEqual(res.body)
    // the create answer is the very text stored, not a second rendering of it
    expect(read.text).toBe(res.text)
    expect(read.headers.get('etag')).toBe('W/"1"')

    const task = await taskFor(id)
    expect(res.headers.get('link')).toContain(`${BASE_URL}/Task/${task.id}`)
    expect(task.basedOn).toEqual([{ reference: `ServiceRequest/${id}` }])
    expect(task.focus).toEqual({ reference: `ServiceRequest/${id}` })
    expect(task.for.identifier?.value).toBe('9912003888')
    expect(task.owner.reference).toBe('Organization/north-central-london')
    expect(task.owner.identifier.system).toBe('https://fhir.nhs.uk/Id/ods-organization-code')
    expect(['QMJ', 'Z9B2Z']).toContain(task.owner.identifier.value)
    expect(task.requester.identifier.value).toBe('F83674')
    expect(task.intent).toBe('order')
    expect(task.status).toBe('requested')
    expect(task.businessStatus.coding[0]?.code).toBe('eligible-refer')
    const outputs = (task.output ?? []).map((o) => o.valueCodeableConcept.coding[0]?.code)
    expect(outputs).toContain('mental-health-support')
    expect(outputs).toContain('workplace-adjustments')
    expect(outputs).not.toContain('cv-interview-help')
    for (const o of task.output ?? []) expect(o.extension[0]?.valueString).toMatch(/^baseline\//)
    expect(task.extension[0]?.valueString).toMatch(/^workwell-baseline\//)

    const taskRead = await call(`${gw.fhir}/Task/${task.id}`, { headers: await asPartnership(gw) })
    expect(taskRead.status).toBe(200)
    expect(taskRead.body.id).toBe(task.id)
  })

  it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
    const referral = readJson('fixtures/referrals/north-central-london/gp-referral.json')
    const minimal = await call(`${gw.fhir}/ServiceRequest`, { body: referral, headers: { ...await asReferrer(gw), prefer: 'return=minimal' } })
    expect(minimal.status).toBe(201)
    expect(minimal.text).toBe('')
    expect(minimal.headers.get('location')).toMatch(/\/ServiceRequest\/[0-9a-f-]+\/_history\/1$/)
    const oo = await call(`${gw.fhir}/ServiceRequest`, { body: referral, headers: { ...await asReferrer(gw), prefer: 'return=OperationOutcome' } })
    expect(oo.status).toBe(201)
    expect(oo.body.resourceType).toBe('OperationOutcome')
    expect(JSON.stringify(oo.body)).toContain('eligible-refer')
  })

  it('routes every partnership\'s GP referral to that partnership', async () => {
    const ids = fixturePartnerships()
    expect(ids).toHaveLength(15)
    for (const partnership of ids) {
      const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: readJson(`fixtures/referrals/${partnership}/gp-referral.json`) })
      expect(res.status, `${partnership}: ${res.text}`).toBe(201)
      const task = await taskFor(res.body.id as string)
      expect(task.owner.reference).toBe(`Organization/${partnership}`)
      const org = await call(`${gw.fhir}/Organization/${partnership}`, { headers: await asReferrer(gw) })
      expect(org.status).toBe(200)
      expect(JSON.stringify(org.body)).toContain(task.owner.identifier.value)
    }
  })

  it('answers 422 naming the element when no partnership serves the referral', async () => {
    const referral = readJson<Record<string, unknown> & { requester: { identifier: { value: string } }, contained: Array<Record<string, unknown>> }>('fixtures/referrals/north-central-london/gp-referral.json')
    referral.requester.identifier.value = 'A83008' // a County Durham practice: no pilot
    const patient = referral.contained[0] as { generalPractitioner: Array<{ identifier: { value: string } }>, address: Array<{ postalCode: string }> }
    patient.generalPractitioner[0]!.identifier.value = 'A83008'
    patient.address[0]!.postalCode = 'DH1 1AA'
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: referral })
    expect(res.status).toBe(422)
    const issue = (res.body.issue as Array<{ code: string, diagnostics: string, expression: string[] }>)[0]!
    expect(issue.code).toBe('business-rule')
    expect(issue.diagnostics).toContain('A83008')
    expect(issue.diagnostics).toContain('DH1')
    expect(issue.expression).toContain('ServiceRequest.requester.identifier')
  })
})
