import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

type Json = Record<string, unknown>
interface Issue { severity: string, code: string, expression?: string[], diagnostics?: string }

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

/** A referral that does not claim WorkWell-Referral and lacks what only that profile requires (category: the referral source). */
function unclaimed (file: string): Json {
  const sr = readJson<Json>(file)
  delete sr.meta
  delete sr.category
  return sr
}

function expressions (body: Json): string[] {
  return (body.issue as Issue[]).flatMap((i) => i.expression ?? [])
}

describe('every referral door checks the WorkWell-Referral profile, claimed or not', () => {
  it('POST /fhir/ServiceRequest refuses a ServiceRequest without the referral source with 422', async () => {
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: unclaimed('fixtures/referrals/north-central-london/gp-referral.json') })
    expect(res.status).toBe(422)
    expect(expressions(res.body)).toContain('ServiceRequest.category')
  })

  it('POST /fhir/ServiceRequest/$triage refuses it too, and stores nothing', async () => {
    const before = await call(`${gw.fhir}/Task`, { headers: await asPartnership(gw) })
    const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: unclaimed('fixtures/referrals/north-central-london/fit-note-triage.json') })
    expect(res.status).toBe(422)
    expect(expressions(res.body)).toContain('ServiceRequest.category')
    const after = await call(`${gw.fhir}/Task`, { headers: await asPartnership(gw) })
    expect(after.body.total).toBe(before.body.total)
  })

  it('POST /fhir refuses a transaction whose ServiceRequest entry lacks it, at the entry\'s path, each finding once', async () => {
    const bundle = readJson<{ entry: Array<{ resource: Json }> }>('fixtures/bundles/north-west-london-transaction.json')
    const at = bundle.entry.findIndex((e) => e.resource.resourceType === 'ServiceRequest')
    const sr = bundle.entry[at]?.resource ?? {}
    delete sr.meta
    delete sr.category
    sr.status = 'bogus' // a base R4 error too: reported once although the entry is checked twice
    const res = await call(`${gw.fhir}`, { headers: await asReferrer(gw), body: bundle })
    expect(res.status).toBe(422)
    const found = expressions(res.body)
    expect(found).toContain(`Bundle.entry[${at}].resource.category`)
    expect(found.filter((e) => e === `Bundle.entry[${at}].resource.status`)).toHaveLength(1)
  })

  it('$triage also holds a ServiceRequest to WorkWell-FitNoteTriageRequest: the condition is required there, not on a plain referral', async () => {
    const request = readJson<Json>('fixtures/referrals/north-central-london/fit-note-triage.json')
    delete request.reasonCode
    const triage = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: request })
    expect(triage.status).toBe(422)
    expect(expressions(triage.body)).toContain('ServiceRequest.reasonCode')
    const referral = readJson<Json>('fixtures/referrals/north-central-london/gp-referral.json')
    delete referral.reasonCode
    expect((await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: referral })).status).toBe(201)
  })

  it('$triage holds a transaction Bundle\'s ServiceRequest to WorkWell-FitNoteTriageRequest too', async () => {
    const bundle = readJson<{ entry: Array<{ resource: Json }> }>('fixtures/bundles/greater-manchester-transaction.json')
    const at = bundle.entry.findIndex((e) => e.resource.resourceType === 'ServiceRequest')
    delete bundle.entry[at]?.resource.reasonCode
    const triage = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: bundle })
    expect(triage.status).toBe(422)
    expect(expressions(triage.body)).toContain(`Bundle.entry[${at}].resource.reasonCode`)
    expect((await call(`${gw.fhir}`, { headers: await asReferrer(gw), body: bundle })).status).toBe(200)
  })

  it('$triage refuses an intent other than proposal or order (ww-fnt-1)', async () => {
    const request = readJson<Json>('fixtures/referrals/north-central-london/fit-note-triage.json')
    request.intent = 'plan'
    const triage = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: request })
    expect(triage.status).toBe(422)
    expect((triage.body.issue as Issue[]).some((i) => i.diagnostics?.includes('ww-fnt-1') === true)).toBe(true)
  })

  it('still accepts the fixtures, which claim the profile', async () => {
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/north-central-london/gp-referral.json') })
    expect(res.status).toBe(201)
  })
})
