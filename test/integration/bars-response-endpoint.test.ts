import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Bundle, MessageHeader, OperationOutcome, Task } from '@medplum/fhirtypes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referralIdFor, readEnvelope } from '../../src/bars/envelope.ts'
import { startGateway, tempDataDir, testSender, type TestGateway } from '../helpers/gateway.ts'
import { call, type Reply } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'
import { b64, barsHeaders, referralMessage } from './bars-messages.ts'
import { startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

/**
 * Where response messages go: the endpoint catalogue's entry for the message's source
 * endpoint, else the one it registers for the sender's ODS code; never an address from the
 * message, and nowhere (the message refused) when the catalogue has no answer.
 */
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'
const DOS = 'https://fhir.nhs.uk/Id/dos-service-id'
const P88002_DOS = `${DOS}|5566778899`
const GM = 'fixtures/referrals/greater-manchester/gp-referral.json'
const BARS_CODES = 'https://fhir.nhs.uk/CodeSystem/http-error-codes'

let gw: TestGateway
let stub: StubPartner
let catalogueDir: string

beforeAll(async () => {
  stub = await startStubPartner()
  catalogueDir = tempDataDir()
  const catalogueFile = path.join(catalogueDir, 'endpoints.json')
  writeFileSync(catalogueFile, JSON.stringify({
    endpoints: [
      // P88002 is registered by its DoS service id only
      { endpoint: P88002_DOS, ods: 'P88002', url: stub.url('p88002') },
      // Y02720 has two endpoints: BaRS's multiple-matches
      { endpoint: `${DOS}|1111111111`, ods: 'Y02720', url: stub.url('y02720-a') },
      { endpoint: `${DOS}|2222222222`, ods: 'Y02720', url: stub.url('y02720-b') }
    ]
  }))
  gw = await startGateway({
    env: {
      WORKWELL_BARS_ENDPOINTS: catalogueFile,
      WORKWELL_DELIVERY_ENABLED: 'true',
      WORKWELL_DELIVERY_POLL_MS: '20',
      WORKWELL_PARTNER_URL_GREATER_MANCHESTER: stub.url('greater-manchester')
    }
  })
})
afterAll(async () => {
  await gw.close()
  await stub.close()
  rmSync(catalogueDir, { recursive: true, force: true })
})

async function send (source: string, headers: Record<string, string> = {}): Promise<{ r: Reply, message: Bundle }> {
  const message = referralMessage(GM, { source })
  const r = await call(`${gw.fhir}/$process-message`, { body: message, headers: { ...barsHeaders(), ...await asReferrer(gw), ...headers } })
  return { r, message }
}

function headerOf (r: Reply): MessageHeader {
  return (r.body as unknown as Bundle).entry?.[0]?.resource as MessageHeader
}

function warningsOf (r: Reply): string[] {
  const outcome = (r.body as unknown as Bundle).entry?.find((e) => e.resource?.resourceType === 'OperationOutcome')?.resource as OperationOutcome | undefined
  return (outcome?.issue ?? []).filter((i) => i.expression?.includes('Bundle.entry[0].resource.source.endpoint') === true).map((i) => i.diagnostics ?? '')
}

function refusal (r: Reply): { code: string | undefined, bars: string | undefined } {
  const e = (r.body as unknown as OperationOutcome).issue?.find((i) => i.severity === 'error')
  return { code: e?.code, bars: e?.details?.coding?.find((c) => c.system === BARS_CODES)?.code }
}

async function storedEnvelope (message: Bundle, sender = testSender(gw)): Promise<ReturnType<typeof readEnvelope>> {
  const id = referralIdFor(sender, message.entry?.[0]?.resource?.resourceType === 'MessageHeader' ? (message.entry[0].resource).source?.endpoint ?? '' : '', message.id ?? '')
  return readEnvelope((await gw.deps.store.readResource('MessageHeader', id))?.resource)
}

describe('the response endpoint comes from the endpoint catalogue', () => {
  it('a source endpoint the catalogue lists is where responses go, without a warning', async () => {
    const { r, message } = await send(P88002_DOS)
    expect(r.status, r.text).toBe(200)
    expect(headerOf(r).destination?.[0]?.endpoint).toBe(P88002_DOS)
    expect(warningsOf(r)).toEqual([])
    expect((await storedEnvelope(message))?.responseEndpoint).toBe(P88002_DOS)
  })

  it('a source endpoint it does not list: the sender\'s ODS code finds its registered endpoint, and a later outcome is sent there', async () => {
    const { r, message } = await send(`${ODS}|P88002`)
    expect(r.status, r.text).toBe(200)
    expect(headerOf(r).destination?.[0]?.endpoint).toBe(P88002_DOS)
    expect(warningsOf(r)).toEqual([expect.stringContaining(`response messages go to ${P88002_DOS}, registered for ODS code P88002`)])
    // the message's own source stays on record; the response endpoint is kept beside it
    const envelope = await storedEnvelope(message)
    expect(envelope).toMatchObject({ sourceEndpoint: `${ODS}|P88002`, responseEndpoint: P88002_DOS })

    const task = (r.body as unknown as Bundle).entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as Task & { id: string }
    const moved = await call(`${gw.fhir}/Task/${task.id}`, { method: 'PUT', body: { ...task, status: 'accepted' }, headers: { ...await asPartnership(gw), 'if-match': `W/"${task.meta?.versionId ?? ''}"` } })
    expect(moved.status, moved.text).toBe(200)
    await until(() => stub.requests.some((q) => q.path.includes('p88002')), 15_000, 'the response message at the registered endpoint')
    const got = stub.requests.find((q) => q.path.includes('p88002'))
    const body = JSON.parse(got?.body ?? '{}') as Bundle
    expect((body.entry?.[0]?.resource as MessageHeader).destination?.[0]?.endpoint).toBe(P88002_DOS)
    expect((body.entry?.[0]?.resource as MessageHeader).response?.identifier).toBe(message.id)
    expect(JSON.parse(Buffer.from(String(got?.headers['nhsd-target-identifier']), 'base64').toString('utf8'))).toEqual({ system: DOS, value: '5566778899' })
  })

  it('no endpoint registered for the sender: 422 REC_UNPROCESSABLE_ENTITY not-found, and nothing is stored', async () => {
    const { r, message } = await send(`${ODS}|Y99999`)
    expect(r.status, r.text).toBe(422)
    expect(refusal(r)).toEqual({ code: 'not-found', bars: 'REC_UNPROCESSABLE_ENTITY' })
    expect(r.text).toContain('Y99999')
    expect(await storedEnvelope(message)).toBeUndefined()
  })

  it('two endpoints registered for the sender: 422 multiple-matches, the gateway does not pick one', async () => {
    const { r } = await send(`${ODS}|Y02720`)
    expect(r.status, r.text).toBe(422)
    expect(refusal(r)).toEqual({ code: 'multiple-matches', bars: 'REC_UNPROCESSABLE_ENTITY' })
  })

  it('a source endpoint that names no organisation: the sender is the one NHSD-End-User-Organisation names among the client\'s, else refused', async () => {
    const token = await gw.token({ roles: ['referrer'], ods: ['P88002', 'Y02720'], client: 'two-practices' })
    const auth = { authorization: `Bearer ${token}` }
    const named = await send(`${DOS}|9999999999`, { ...auth, 'nhsd-end-user-organisation': b64({ resourceType: 'Organization', identifier: [{ system: ODS, value: 'P88002' }] }) })
    expect(named.r.status, named.r.text).toBe(200)
    expect(headerOf(named.r).destination?.[0]?.endpoint).toBe(P88002_DOS)
    const unnamed = await send(`${DOS}|9999999999`, auth)
    expect(unnamed.r.status, unnamed.r.text).toBe(422)
    expect(refusal(unnamed.r)).toEqual({ code: 'business-rule', bars: 'REC_UNPROCESSABLE_ENTITY' })
    // an endpoint the catalogue gives to another organisation stays refused
    const other = await send(`${DOS}|5566778899`, { authorization: `Bearer ${await gw.token({ roles: ['referrer'], ods: ['Y02720'] })}` })
    expect(other.r.status).toBe(403)
  })
})
