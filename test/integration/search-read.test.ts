import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_URL, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

type Bundle = { type: string, total: number, link: Array<{ relation: string, url: string }>, entry?: Array<{ fullUrl: string, search: { mode: string }, resource: { id: string, status: string, owner: { reference: string }, meta: { lastUpdated: string } } }> }

let gw: TestGateway
const taskIds: string[] = []
beforeAll(async () => {
  gw = await startGateway()
  for (let i = 0; i < 5; i++) {
    const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/leicester-leicestershire-and-rutland/gp-referral.json') })
    taskIds.push(res.body.id as string)
  }
  await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/black-country/gp-referral.json') })
})
afterAll(async () => { await gw.close() })

const path = (url: string): string => url.replace(BASE_URL, '')

describe('GET /fhir/Task search', () => {
  it('filters by owner and pages with self and next links', async () => {
    const page1 = (await call(`${gw.fhir}/Task?owner=Organization/leicester-leicestershire-and-rutland&_count=2`, { headers: await asPartnership(gw) })).body as unknown as Bundle
    expect(page1.type).toBe('searchset')
    expect(page1.total).toBe(5)
    expect(page1.entry).toHaveLength(2)
    expect(page1.entry![0]!.search.mode).toBe('match')
    expect(page1.entry![0]!.fullUrl).toBe(`${BASE_URL}/Task/${page1.entry![0]!.resource.id}`)
    const self = page1.link.find((l) => l.relation === 'self')!
    expect(self.url).toContain('_count=2')
    const seen = page1.entry!.map((e) => e.resource.id)
    let next = page1.link.find((l) => l.relation === 'next')
    while (next !== undefined) {
      const page = (await call(`${gw.fhir}${path(next.url)}`, { headers: await asPartnership(gw) })).body as unknown as Bundle
      seen.push(...(page.entry ?? []).map((e) => e.resource.id))
      next = page.link.find((l) => l.relation === 'next')
    }
    expect(seen.sort()).toEqual([...taskIds].sort())
  })

  it('filters by based-on, status and _lastUpdated', async () => {
    const one = (await call(`${gw.fhir}/Task/${taskIds[0]!}`, { headers: await asPartnership(gw) })).body as { basedOn: Array<{ reference: string }>, status: string, meta: { lastUpdated: string } }
    const byRef = (await call(`${gw.fhir}/Task?based-on=${one.basedOn[0]!.reference}`, { headers: await asPartnership(gw) })).body as unknown as Bundle
    expect(byRef.entry?.map((e) => e.resource.id)).toEqual([taskIds[0]])
    const byStatus = (await call(`${gw.fhir}/Task?status=${one.status}&owner=leicester-leicestershire-and-rutland`, { headers: await asPartnership(gw) })).body as unknown as Bundle
    expect(byStatus.total).toBe(5)
    const none = (await call(`${gw.fhir}/Task?status=cancelled`, { headers: await asPartnership(gw) })).body as unknown as Bundle
    expect(none.total).toBe(0)
    const later = (await call(`${gw.fhir}/Task?_lastUpdated=gt${encodeURIComponent('2099-01-01T00:00:00Z')}`, { headers: await asPartnership(gw) })).body as unknown as Bundle
    expect(later.total).toBe(0)
    const earlier = (await call(`${gw.fhir}/Task?_lastUpdated=ge2020-01-01`, { headers: await asPartnership(gw) })).body as unknown as Bundle
    expect(earlier.total).toBe(6)
  })

  it('answers 304 to If-None-Match with the current ETag', async () => {
    const res = await fetch(`${gw.fhir}/Task/${taskIds[1]!}`, { headers: { 'if-none-match': 'W/"1"', ...await asPartnership(gw) } })
    expect(res.status).toBe(304)
  })
})

describe('GET /health', () => {
  it('is live and ready while the store answers', async () => {
    expect((await call(`${gw.origin}/health/live`)).status).toBe(200)
    expect((await call(`${gw.origin}/health/ready`)).status).toBe(200)
  })
})
