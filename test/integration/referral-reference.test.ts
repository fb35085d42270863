import type { Bundle, ServiceRequest, Task } from '@medplum/fhirtypes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REFERRAL_REFERENCE_SYSTEM } from '../../src/reference/referral-reference.ts'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'
import { databaseUrlInNewSchema, dropSchema, pgUnavailable } from '../helpers/postgres.ts'
import { barsHeaders, referralMessage } from './bars-messages.ts'

const GM = 'fixtures/referrals/greater-manchester/gp-referral.json'
const SHAPE = /^WW-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/

const unavailable = await pgUnavailable()
if (unavailable !== undefined) process.stdout.write(`referral-reference.test.ts: PostgreSQL cases skipped: ${unavailable}\n`)
const STORES = unavailable === undefined ? ['sqlite', 'postgres'] as const : ['sqlite'] as const

function referenceOf (r: { identifier?: Array<{ system?: string, value?: string }> }): string {
  const ref = r.identifier?.find((i) => i.system === REFERRAL_REFERENCE_SYSTEM)?.value ?? ''
  expect(ref).toMatch(SHAPE)
  return ref
}

describe.each(STORES)('the referral reference (%s store)', (store) => {
  let gw: TestGateway
  let schema: string | undefined
  beforeAll(async () => {
    if (store === 'postgres') {
      const db = await databaseUrlInNewSchema()
      schema = db.schema
      gw = await startGateway({ env: { DATABASE_URL: db.url } })
    } else {
      gw = await startGateway()
    }
  })
  afterAll(async () => {
    await gw.close()
    if (schema !== undefined) await dropSchema(schema)
  })

  it('is on the ServiceRequest a REST create answers, on its Task and in the Task\'s note, and is found by identifier search within the caller\'s scope', async () => {
    const created = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: readJson(GM) })
    expect(created.status, created.text).toBe(201)
    const ref = referenceOf(created.body as unknown as ServiceRequest)
    const tasks = await call(`${gw.fhir}/Task?identifier=${encodeURIComponent(`${REFERRAL_REFERENCE_SYSTEM}|${ref}`)}`, { headers: await asPartnership(gw) })
    expect(tasks.status).toBe(200)
    const bundle = tasks.body as unknown as Bundle
    expect(bundle.total).toBe(1)
    const task = bundle.entry?.[0]?.resource as Task
    expect(task.basedOn?.[0]?.reference).toBe(`ServiceRequest/${String(created.body.id)}`)
    expect(referenceOf(task)).toBe(ref)
    expect(task.note?.[0]?.text).toContain(ref)
    // as a person types it: lower case, no system, O for 0
    const typed = ref.toLowerCase().replace(/0/g, 'o')
    expect((await call(`${gw.fhir}/Task?identifier=${encodeURIComponent(typed)}`, { headers: await asPartnership(gw) })).body.total).toBe(1)
    const srs = await call(`${gw.fhir}/ServiceRequest?identifier=${encodeURIComponent(ref)}`, { headers: await asReferrer(gw) })
    expect(srs.status).toBe(200)
    expect((srs.body as unknown as Bundle).entry?.map((e) => e.resource?.id)).toEqual([created.body.id])

    // another practice, another partnership: nothing
    const other = await gw.token({ roles: ['referrer', 'partnership'], ods: ['H81097'], partnership: ['frimley'] })
    expect((await call(`${gw.fhir}/Task?identifier=${encodeURIComponent(ref)}`, { headers: { authorization: `Bearer ${other}` } })).body.total).toBe(0)
    expect((await call(`${gw.fhir}/ServiceRequest?identifier=${encodeURIComponent(ref)}`, { headers: { authorization: `Bearer ${other}` } })).body.total).toBe(0)
    // another system or a reference whose check symbol fails: no match
    expect((await call(`${gw.fhir}/Task?identifier=${encodeURIComponent(`https://example.org/other|${ref}`)}`, { headers: await asPartnership(gw) })).body.total).toBe(0)
    const mistyped = ref.slice(0, -1) + (ref.endsWith('A') ? 'B' : 'A')
    expect((await call(`${gw.fhir}/Task?identifier=${encodeURIComponent(mistyped)}`, { headers: await asPartnership(gw) })).body.total).toBe(0)
  })

  it('differs between referrals and comes back from $triage and $process-message', async () => {
    const triage = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/north-central-london/fit-note-triage.json') })
    expect(triage.status, triage.text).toBe(200)
    const fromTriage = referenceOf(triage.body as unknown as Task)
    const message = await call(`${gw.fhir}/$process-message`, { body: referralMessage(GM), headers: { ...await asReferrer(gw), ...barsHeaders() } })
    expect(message.status, message.text).toBe(200)
    const entries = (message.body as unknown as Bundle).entry ?? []
    const task = entries.find((e) => e.resource?.resourceType === 'Task')?.resource as Task
    const sr = entries.find((e) => e.resource?.resourceType === 'ServiceRequest')?.resource as ServiceRequest | undefined
    const fromMessage = referenceOf(task)
    if (sr !== undefined) expect(referenceOf(sr)).toBe(fromMessage)
    expect(fromMessage).not.toBe(fromTriage)
  })

  it('is on the ServiceRequest of a transaction\'s answer', async () => {
    const sr = readJson<ServiceRequest>(GM)
    const { contained, ...bare } = sr
    const urls = new Map((contained ?? []).map((c) => [`#${c.id ?? ''}`, `urn:uuid:${crypto.randomUUID()}`]))
    const relink = (v: unknown): unknown => JSON.parse(JSON.stringify(v), (k, x: unknown) => (k === 'reference' && typeof x === 'string' ? urls.get(x) ?? x : x))
    const body: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: relink(bare) as ServiceRequest, request: { method: 'POST', url: 'ServiceRequest' } },
        ...(contained ?? []).map((c) => ({ fullUrl: urls.get(`#${c.id ?? ''}`) ?? '', resource: relink({ ...c, id: undefined }) as ServiceRequest, request: { method: 'POST' as const, url: c.resourceType } }))
      ]
    }
    const r = await call(gw.fhir, { body, headers: await asReferrer(gw) })
    expect(r.status, r.text).toBe(200)
    const entry = (r.body as unknown as Bundle).entry?.find((e) => e.response?.location?.startsWith('ServiceRequest/'))
    referenceOf(entry?.resource as ServiceRequest)
  })

  it('answers 400 for an empty identifier and for other ServiceRequest search parameters', async () => {
    expect((await call(`${gw.fhir}/Task?identifier=`, { headers: await asPartnership(gw) })).status).toBe(400)
    expect((await call(`${gw.fhir}/ServiceRequest?status=active`, { headers: await asReferrer(gw) })).status).toBe(400)
  })
})
