import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEvent, Bundle } from '@medplum/fhirtypes'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call } from '../helpers/fixtures.ts'
import { postReferral, startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

let gw: TestGateway
let partner: StubPartner
let operator: string

beforeAll(async () => {
  partner = await startStubPartner()
  gw = await startGateway({
    env: {
      WORKWELL_DELIVERY_ENABLED: 'true',
      WORKWELL_DELIVERY_POLL_MS: '20',
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
    }
  })
  operator = await gw.token({ roles: ['operator'], client: 'ops-1' })
})
afterAll(async () => {
  await gw.close()
  await partner.close()
})

async function trail (query: string): Promise<AuditEvent[]> {
  const res = await call(`${gw.origin}/admin/AuditEvent?${query}`, { headers: { authorization: `Bearer ${operator}` } })
  expect(res.status, res.text).toBe(200)
  return ((res.body as unknown as Bundle<AuditEvent>).entry ?? []).map((e) => e.resource as AuditEvent)
}

describe('GET /admin/AuditEvent', () => {
  it('shows a referral\'s create and its delivery to the partnership, who and when, with the outcome', async () => {
    const srId = await postReferral(gw.fhir)
    await until(() => partner.stored.size > 0, 15_000, 'the delivery')
    let events: AuditEvent[] = []
    await until(async () => {
      events = await trail(`entity=ServiceRequest/${srId}`)
      return events.some((e) => e.type.code === 'delivery')
    }, 10_000, 'the delivery audit')
    const delivery = events.find((e) => e.type.code === 'delivery')
    expect(delivery).toMatchObject({ action: 'E', outcome: '0', agent: [{ who: { identifier: { value: 'partnership/north-central-london' } } }], entity: [{ what: { reference: `ServiceRequest/${srId}` } }] })
    const create = events.find((e) => e.subtype?.[0]?.code === 'create')
    expect(create?.agent[0]?.who?.identifier?.value).toMatch(/^client\/test-client /)
    expect(Date.parse(create?.recorded ?? '')).toBeLessThanOrEqual(Date.parse(delivery?.recorded ?? ''))
  })

  it('filters by agent, newest first, and audits its own use', async () => {
    const before = await trail('agent=client/ops-1')
    const events = await trail('agent=partnership/north-central-london&_count=5')
    expect(events.length).toBeGreaterThan(0)
    expect(events.every((e) => (e.agent[0]?.who?.identifier?.value ?? '').includes('partnership/north-central-london'))).toBe(true)
    const times = events.map((e) => e.recorded)
    expect([...times].sort().reverse()).toStrictEqual(times)
    const after = await trail('agent=client/ops-1')
    expect(after.length).toBeGreaterThan(before.length)
    expect(after[0]).toMatchObject({ action: 'E', entity: [{ what: { display: 'AuditEvent' } }] })
  })

  it('refuses bad filters with an OperationOutcome', async () => {
    const res = await call(`${gw.origin}/admin/AuditEvent?_count=0`, { headers: { authorization: `Bearer ${operator}` } })
    expect(res.status).toBe(400)
    expect(res.body.resourceType).toBe('OperationOutcome')
  })
})
