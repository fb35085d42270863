import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Task } from '@medplum/fhirtypes'
import { BASE_URL, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson, type Reply } from '../helpers/fixtures.ts'
import { asOperator, asPartnership, asReferrer } from '../helpers/tokens.ts'

const LEICESTER = 'leicester-leicestershire-and-rutland'

let gw: TestGateway
let created: Reply
beforeAll(async () => {
  gw = await startGateway()
  created = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: readJson(`fixtures/referrals/${LEICESTER}/gp-referral.json`) })
  expect(created.status).toBe(201)
})
afterAll(async () => { await gw.close() })

/** A URL the gateway gave out, on the test gateway's origin. */
const local = (url: string): string => `${gw.fhir}${url.replace(BASE_URL, '')}`
const taskUrl = (): string => /<([^>]+)>/.exec(created.headers.get('link') ?? '')?.[1] ?? ''

function issue (res: Reply): { code: string, diagnostics?: string, expression?: string[] } {
  expect(res.body.resourceType).toBe('OperationOutcome')
  return (res.body.issue as Array<{ code: string, diagnostics?: string, expression?: string[] }>)[0]!
}

describe('GET /fhir/{type}/{id}/_history/{vid}', () => {
  it('answers the URL a create gives in Location with the version it made', async () => {
    const location = created.headers.get('location') ?? ''
    expect(location).toMatch(/\/ServiceRequest\/[^/]+\/_history\/1$/)
    const res = await call(local(location), { headers: await asReferrer(gw) })
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toBe('W/"1"')
    expect(res.text).toBe(created.text)
  })

  it('serves a Task\'s current version to its owner, and an earlier one as not kept', async () => {
    const task = (await call(local(taskUrl()), { headers: await asPartnership(gw, LEICESTER) })).body as unknown as Task
    const updated = await call(local(taskUrl()), { method: 'PUT', body: { ...task, status: 'accepted' }, headers: { ...await asPartnership(gw, LEICESTER), 'if-match': 'W/"1"' } })
    expect(updated.status).toBe(200)
    const contentLocation = updated.headers.get('content-location') ?? ''
    expect(contentLocation).toMatch(/\/_history\/2$/)

    const current = await call(local(contentLocation), { headers: await asPartnership(gw, LEICESTER) })
    expect(current.status).toBe(200)
    expect((current.body as unknown as Task).status).toBe('accepted')
    expect(current.headers.get('etag')).toBe('W/"2"')

    const earlier = await call(`${local(taskUrl())}/_history/1`, { headers: await asPartnership(gw, LEICESTER) })
    expect(earlier.status).toBe(404)
    expect(issue(earlier)).toMatchObject({ code: 'not-found', expression: ['Task.meta.versionId'] })
  })

  it('answers a caller who may not read the resource as for an unknown id, whatever the version', async () => {
    const location = created.headers.get('location') ?? ''
    const unknownId = location.replace(/ServiceRequest\/[^/]+\//, 'ServiceRequest/00000000-0000-0000-0000-000000000000/')
    const notKnown = await call(local(unknownId), { headers: await asReferrer(gw, 'A99999') })
    for (const url of [location, location.replace(/_history\/1$/, '_history/7')]) {
      const res = await call(local(url), { headers: await asReferrer(gw, 'A99999') })
      expect(res.status).toBe(404)
      // the same answer as for an id that does not exist: no version, nothing about the referral
      expect(issue(res).diagnostics?.replace(/ServiceRequest\/[^ ]+/, 'X')).toBe(issue(notKnown).diagnostics?.replace(/ServiceRequest\/[^ ]+/, 'X'))
      expect(res.text).not.toContain('version')
    }
    const other = await call(local(location), { headers: await asPartnership(gw, 'black-country') })
    expect(other.status).toBe(404)
  })

  it('refuses a version id that is not an id, with its path', async () => {
    const res = await call(local(`${created.headers.get('location') ?? ''}x!`), { headers: await asReferrer(gw) })
    expect(res.status).toBe(400)
    expect(issue(res).expression?.[0]).toMatch(/vid/)
  })

  it('is audited as a vread and listed in the CapabilityStatement', async () => {
    const location = created.headers.get('location') ?? ''
    await call(local(location), { headers: await asReferrer(gw) })
    const id = /ServiceRequest\/([^/]+)\//.exec(location)?.[1] ?? ''
    const audit = await call(`${gw.origin}/admin/AuditEvent?entity=ServiceRequest/${id}`, { headers: await asOperator(gw) })
    expect(audit.status).toBe(200)
    const subtypes = ((audit.body.entry ?? []) as Array<{ resource: { subtype: Array<{ code: string }> } }>).map((e) => e.resource.subtype[0]?.code)
    expect(subtypes).toContain('vread')
    const statement = await call(`${gw.fhir}/metadata`)
    const byType = new Map((statement.body.rest as Array<{ resource: Array<{ type: string, interaction: Array<{ code: string }> }> }>)[0]!.resource.map((r) => [r.type, r.interaction.map((i) => i.code)]))
    for (const type of ['ServiceRequest', 'Task', 'Patient']) expect(byType.get(type)).toContain('vread')
  })
})
