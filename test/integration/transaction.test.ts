import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

type Bundle = { resourceType: string, type: string, entry: Array<{ fullUrl?: string, resource: Record<string, unknown> & { resourceType: string }, request?: unknown, response?: { status: string, location: string, etag: string } }> }

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

async function taskCount (): Promise<number> {
  return (await call(`${gw.fhir}/Task?_count=1`, { headers: await asPartnership(gw) })).body.total as number
}

describe('POST /fhir transaction', () => {
  it.each(['north-west-london', 'greater-manchester', 'cornwall-and-isles-of-scilly'])('stores every entry of %s and answers a transaction-response', async (partnership) => {
    const bundle = readJson<Bundle>(`fixtures/bundles/${partnership}-transaction.json`)
    const res = await call(`${gw.fhir}`, { headers: await asReferrer(gw), body: bundle })
    expect(res.status, res.text).toBe(200)
    const out = res.body as unknown as Bundle
    expect(out.type).toBe('transaction-response')
    expect(out.entry).toHaveLength(bundle.entry.length)
    let serviceRequestId = ''
    for (const [i, e] of out.entry.entries()) {
      expect(e.response?.status).toBe('201 Created')
      const type = bundle.entry[i]!.resource.resourceType
      const m = new RegExp(`^${type}/([0-9a-f-]+)/_history/1$`).exec(e.response?.location ?? '')
      expect(m, e.response?.location).not.toBeNull()
      const read = await call(`${gw.fhir}/${type}/${m![1]}`, { headers: await asReferrer(gw) })
      expect(read.status).toBe(200)
      expect(JSON.stringify(read.body)).not.toContain('urn:uuid:')
      if (type === 'ServiceRequest') {
        serviceRequestId = m![1]!
        expect((read.body.subject as { reference: string }).reference).toMatch(/^Patient\/[0-9a-f-]+$/)
      }
    }
    const tasks = await call(`${gw.fhir}/Task?based-on=ServiceRequest/${serviceRequestId}`, { headers: await asPartnership(gw) })
    expect(tasks.body.total).toBe(1)
    const task = (tasks.body.entry as Array<{ resource: { owner: { reference: string }, for: { reference: string } } }>)[0]!.resource
    expect(task.owner.reference).toBe(`Organization/${partnership}`)
    expect(task.for.reference).toMatch(/^Patient\//)
  })

  it('is all or nothing: a bundle with one bad entry stores nothing and names the entry', async () => {
    const before = await taskCount()
    const bundle = readJson<Bundle>('fixtures/bundles/north-west-london-transaction.json')
    const sr = bundle.entry.find((e) => e.resource.resourceType === 'ServiceRequest')!
    sr.resource.supportingInfo = [{ reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' }]
    const res = await call(`${gw.fhir}`, { headers: await asReferrer(gw), body: bundle })
    expect(res.status).toBe(422)
    const index = bundle.entry.indexOf(sr)
    const issues = res.body.issue as Array<{ expression: string[] }>
    expect(issues.some((i) => i.expression.some((e) => e.startsWith(`Bundle.entry[${index}].resource.supportingInfo`)))).toBe(true)
    expect(await taskCount()).toBe(before)
  })

  it('refuses a Bundle that is not a transaction', async () => {
    const bundle = readJson<Bundle>('fixtures/bundles/north-west-london-transaction.json')
    bundle.type = 'batch'
    const res = await call(`${gw.fhir}`, { headers: await asReferrer(gw), body: bundle })
    expect(res.status).toBe(422)
    expect((res.body.issue as Array<{ expression: string[] }>)[0]!.expression).toEqual(['Bundle.type'])
  })
})
