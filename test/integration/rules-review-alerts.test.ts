import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call } from '../helpers/fixtures.ts'
import { asOperator } from '../helpers/tokens.ts'

/** A gateway whose clock is long past every rule file's review date. */
let gw: TestGateway
beforeAll(async () => { gw = await startGateway({ overrides: { clock: { now: () => new Date('2099-01-01T12:00:00.000Z') } } }) })
afterAll(async () => { await gw.close() })

describe('rule review dates, passed', () => {
  it('are alerts for operators: GET /admin/alerts names every partnership whose triage is held, and the metric counts them', async () => {
    const operator = await gw.token({ roles: ['operator'], client: 'ops' })
    const r = await call(`${gw.origin}/admin/alerts`, { headers: { authorization: `Bearer ${operator}` } })
    expect(r.status).toBe(200)
    const flags = (r.body.entry as Array<{ resource: { code: { coding: Array<{ code: string }> }, subject: { reference?: string } } }>).map((e) => e.resource)
    const held = flags.filter((f) => f.code.coding[0]?.code === 'TriageHeldForReview').map((f) => f.subject.reference?.replace('Organization/', ''))
    expect(new Set(held)).toEqual(new Set(gw.deps.partnerships.keys()))
    // every partnership signposts to the national directory, whose checks are long past too
    const stale = flags.filter((f) => f.code.coding[0]?.code === 'DirectoryCheckOverdue').map((f) => f.subject.reference?.replace('Organization/', ''))
    expect(new Set(stale)).toEqual(new Set(gw.deps.partnerships.keys()))
    const metrics = await call(`${gw.origin}/metrics`, { headers: await asOperator(gw) })
    expect(metrics.text).toMatch(/workwell_delivery_alert_active\{[^}]*TriageHeldForReview[^}]*\} 1/)
  })
})
