import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

const referral = (): unknown => readJson('fixtures/referrals/south-yorkshire/gp-referral.json')

async function taskTotal (): Promise<number> {
  return (await call(`${gw.fhir}/Task?owner=Organization/south-yorkshire&_count=1`, { headers: await asPartnership(gw) })).body.total as number
}

describe('X-Request-Id makes a write idempotent (BaRS)', () => {
  it('answers a repeat with 409 duplicate naming the existing ServiceRequest and Task', async () => {
    const requestId = randomUUID()
    const first = await call(`${gw.fhir}/ServiceRequest`, { body: referral(), headers: { ...await asReferrer(gw), 'x-request-id': requestId } })
    expect(first.status).toBe(201)
    expect(first.headers.get('x-request-id')).toBe(requestId)
    const before = await taskTotal()
    const repeat = await call(`${gw.fhir}/ServiceRequest`, { body: referral(), headers: { ...await asReferrer(gw), 'x-request-id': requestId } })
    expect(repeat.status).toBe(409)
    const issue = (repeat.body.issue as Array<{ code: string, diagnostics: string, details: { coding: Array<{ code: string }> } }>)[0]!
    expect(issue.code).toBe('duplicate')
    expect(issue.details.coding[0]?.code).toBe('REC_CONFLICT')
    expect(issue.diagnostics).toContain(`ServiceRequest/${first.body.id as string}`)
    expect(issue.diagnostics).toMatch(/Task\/[0-9a-f-]{36}/)
    expect(await taskTotal()).toBe(before)
  })

  it('20 concurrent repeats of one X-Request-Id create exactly one referral', async () => {
    const requestId = randomUUID()
    const before = await taskTotal()
    const results = await Promise.all(Array.from({ length: 20 }, async () =>
      call(`${gw.fhir}/ServiceRequest`, { body: referral(), headers: { ...await asReferrer(gw), 'x-request-id': requestId } })))
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.every((s) => s === 201 || s === 409 || s === 425)).toBe(true)
    expect(await taskTotal()).toBe(before + 1)
  })

  it('a failed request frees its X-Request-Id, so the corrected retry is processed', async () => {
    const requestId = randomUUID()
    const bad = readJson<Record<string, unknown>>('fixtures/referrals/south-yorkshire/gp-referral.json')
    delete bad.subject
    expect((await call(`${gw.fhir}/ServiceRequest`, { body: bad, headers: { ...await asReferrer(gw), 'x-request-id': requestId } })).status).toBe(422)
    expect((await call(`${gw.fhir}/ServiceRequest`, { body: referral(), headers: { ...await asReferrer(gw), 'x-request-id': requestId } })).status).toBe(201)
  })

  it('generates an X-Correlation-Id when none is sent and echoes one that is', async () => {
    const generated = await call(`${gw.fhir}/metadata`)
    expect(generated.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/)
    const echoed = await call(`${gw.fhir}/metadata`, { headers: { 'x-correlation-id': 'abc-123' } })
    expect(echoed.headers.get('x-correlation-id')).toBe('abc-123')
  })
})
