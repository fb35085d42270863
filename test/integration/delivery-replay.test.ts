import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createLogCapture } from '../helpers/log-capture.ts'
import { call } from '../helpers/fixtures.ts'
import { asOperator } from '../helpers/tokens.ts'
import { postReferral, referralIn, startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

let partner: StubPartner
let gw: TestGateway
let rejecting = true

const logs = createLogCapture()
// any error-level line is a failure unless a test says it expected it
afterEach(() => { logs.expectNoUnexpectedErrors() })

beforeAll(async () => {
  partner = await startStubPartner()
  partner.mode = () => rejecting ? '400' : 'ok'
  gw = await startGateway({
    logCapture: logs,
    env: {
      WORKWELL_DELIVERY_ENABLED: 'true',
      WORKWELL_DELIVERY_POLL_MS: '20',
      WORKWELL_DELIVERY_TIMEOUT_MS: '1000',
      WORKWELL_DELIVERY_LEASE_MS: '2000',
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
    }
  })
})

afterAll(async () => {
  await gw.close()
  await partner.close()
})

interface DeliveryJson { id: string, status: string, attempts: number, lastError?: string, lastResponseStatus?: number, serviceRequest: string }

async function list (query: string): Promise<DeliveryJson[]> {
  const res = await call(`${gw.origin}/admin/deliveries${query}`, { headers: await asOperator(gw) })
  expect(res.status).toBe(200)
  return (res.body as unknown as { deliveries: DeliveryJson[] }).deliveries
}

describe('a 400 from the partner, a fix, and a replay', { timeout: 60_000 }, () => {
  it('dead-letters at once with the partner\'s coded reason; replay after the fix delivers it', async () => {
    const srId = await postReferral(gw.fhir)
    await until(async () => (await list('?status=dead-letter')).some((d) => d.serviceRequest === `ServiceRequest/${srId}`), 30_000, 'the dead letter')
    const [dead] = (await list('?status=dead-letter&partnership=north-central-london')).filter((d) => d.serviceRequest === `ServiceRequest/${srId}`)
    expect(dead).toMatchObject({
      status: 'dead-letter',
      attempts: 1,
      lastResponseStatus: 400,
      lastError: 'HTTP 400 (rejected by partner): error required at referral.practice'
    })
    // the partner's free text never reaches our records
    expect(JSON.stringify(dead)).not.toContain('practice not known')
    expect(partner.requests).toHaveLength(1)

    rejecting = false
    const id = dead?.id ?? ''
    const replay = await call(`${gw.origin}/admin/deliveries/${id}/$replay`, { headers: await asOperator(gw), method: 'POST' })
    expect(replay.status).toBe(200)
    expect(replay.body).toMatchObject({ id, status: 'pending', attempts: 0 })

    await until(async () => (await list('?status=delivered')).some((d) => d.id === id), 30_000, 'the replayed delivery')
    expect(referralIn(partner.stored.get(id)?.body ?? '', [srId])).toBe(srId)

    // replaying a delivered row is a conflict; an unknown id is not found; both OperationOutcomes
    const again = await call(`${gw.origin}/admin/deliveries/${id}/$replay`, { headers: await asOperator(gw), method: 'POST' })
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'conflict' }] })
    const unknown = await call(`${gw.origin}/admin/deliveries/no-such-delivery/$replay`, { headers: await asOperator(gw), method: 'POST' })
    expect(unknown.status).toBe(404)
    expect(unknown.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] })
  })

  it('answers a bad filter with a 400 OperationOutcome naming the parameter', async () => {
    const res = await call(`${gw.origin}/admin/deliveries?status=lost`, { headers: await asOperator(gw) })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'invalid', expression: ['status'] }] })
    const count = await call(`${gw.origin}/admin/deliveries?_count=abc`, { headers: await asOperator(gw) })
    expect(count.status).toBe(400)
    expect(count.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'invalid', expression: ['_count'] }] })
  })

  it('replay of a pending delivery is a 409', async () => {
    // a row that is not due for decades stays pending whatever the worker does
    const later = '2100-01-01T00:00:00.000Z'
    await gw.deps.store.saveReferral({
      resources: [{ resourceType: 'Task', id: 'task-later', versionId: '1', lastUpdated: later, resource: { resourceType: 'Task', id: 'task-later', status: 'requested', intent: 'order' } }],
      task: { id: 'task-later', basedOn: 'ServiceRequest/sr-later', owner: 'north-central-london', status: 'requested', lastUpdated: later },
      serviceRequestId: 'sr-later',
      outbox: { id: 'out-later', partnershipId: 'north-central-london', serviceRequestId: 'sr-later', taskId: 'task-later', createdAt: later },
      audit: []
    })
    const res = await call(`${gw.origin}/admin/deliveries/out-later/$replay`, { headers: await asOperator(gw), method: 'POST' })
    expect(res.status).toBe(409)
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'conflict', diagnostics: expect.stringContaining('pending') }] })
  })
})
