import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, fixturePartnerships, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

describe('POST /fhir/ServiceRequest/$triage', () => {
  it('answers with the triage Task in the same response, for every partnership\'s fit-note request', async () => {
    for (const partnership of fixturePartnerships()) {
      const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: readJson(`fixtures/referrals/${partnership}/fit-note-triage.json`) })
      expect(res.status, `${partnership}: ${res.text}`).toBe(200)
      expect(res.body.resourceType).toBe('Task')
      expect((res.body.owner as { reference: string }).reference).toBe(`Organization/${partnership}`)
      expect(res.headers.get('etag')).toBe('W/"1"')
      const read = await call(`${gw.fhir}/Task/${res.body.id as string}`, { headers: await asPartnership(gw) })
      expect(read.status).toBe(200)
      expect(read.body).toEqual(res.body)
    }
  })

  it('turns fit-note advice into workplace-adjustment support and queues nothing for advice-only triage', async () => {
    const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/north-central-london/fit-note-triage.json') })
    expect(res.status).toBe(200)
    const outputs = (res.body.output as Array<{ valueCodeableConcept: { coding: Array<{ code: string }> } }>).map((o) => o.valueCodeableConcept.coding[0]?.code)
    expect(outputs).toContain('workplace-adjustments')
    expect(outputs).toContain('physiotherapy')
    const deliveries = await gw.deps.store.listDeliveries({ limit: 1000 })
    const taskIds = deliveries.map((d) => d.taskId)
    expect(taskIds).not.toContain(res.body.id)
  })

  it('says what is missing when the employment situation is absent', async () => {
    const referral = readJson<{ supportingInfo: Array<{ reference: string }>, contained: Array<{ id: string }> }>('fixtures/referrals/north-central-london/gp-referral.json')
    referral.supportingInfo = referral.supportingInfo.filter((r) => r.reference !== '#employment')
    referral.contained = referral.contained.filter((r) => r.id !== 'employment')
    const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: referral })
    expect(res.status).toBe(200)
    expect((res.body.businessStatus as { coding: Array<{ code: string }> }).coding[0]?.code).toBe('needs-information')
    expect((res.body.statusReason as { text: string }).text).toContain('employment situation')
    expect(res.body.status).toBe('on-hold')
  })
})
