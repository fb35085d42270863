import { DatabaseSync } from 'node:sqlite'
import path from 'node:path'
import type { Bundle, OperationOutcome, Task } from '@medplum/fhirtypes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createTestPki, hasOpenssl, type Issued, type TestCa, type TestPki } from '../helpers/test-pki.ts'
import { tlsRequest, type TlsAnswer } from '../helpers/tls-client.ts'
import { b64, barsHeaders, cancellationMessage, referralMessage } from './bars-messages.ts'

const openssl = hasOpenssl()
if (!openssl) process.stdout.write('tls-proxy: skipped, the openssl CLI is not on this machine\n')

const GM = 'fixtures/referrals/greater-manchester/gp-referral.json'
const FRIMLEY = 'fixtures/referrals/frimley/gp-referral.json'
const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code'
const A = 'Y02720' // the Greater Manchester fixture's practice
const B = 'H81097' // the Frimley fixture's practice

function organisation (ods: string): string {
  return b64({ resourceType: 'Organization', identifier: [{ system: ODS_SYSTEM, value: ods }], name: 'A practice' })
}
const SOFTWARE = b64({ resourceType: 'Device', identifier: [{ system: 'https://consumersupplier.com/Id/device-identifier', value: 'GP-SYSTEM-1' }], deviceName: [{ name: 'GP System', type: 'user-friendly-name' }], version: [{ value: '4.2' }] })
const PRACTITIONER = b64({ resourceType: 'PractitionerRole', identifier: [{ system: 'https://fhir.nhs.uk/Id/sds-role-profile-id', value: '100334993514' }], code: [{ coding: [{ system: 'http://snomed.info/sct', code: '62247001' }] }] })

function asProxyFor (ods: string): Record<string, string> {
  return { 'nhsd-end-user-organisation': organisation(ods), 'nhsd-requesting-software': SOFTWARE, 'nhsd-requesting-practitioner': PRACTITIONER }
}

function barsCodeOf (r: TlsAnswer): string | undefined {
  const o = JSON.parse(r.body) as OperationOutcome
  expect(o.resourceType, r.body).toBe('OperationOutcome')
  return o.issue?.[0]?.details?.coding?.find((c) => c.system === 'https://fhir.nhs.uk/CodeSystem/http-error-codes')?.code
}

describe.runIf(openssl)('requests through the BaRS proxy (mutual TLS on loopback)', () => {
  let pki: TestPki
  let ca: TestCa
  let proxy: Issued
  let direct: Issued
  let gw: TestGateway
  let taskOfA: Task
  let bundleOfA: string

  const send = async (client: Issued, pathAndQuery: string, o: { method?: string, headers?: Record<string, string>, body?: unknown } = {}): Promise<TlsAnswer> =>
    tlsRequest(`${gw.origin}${pathAndQuery}`, { ca: ca.cert, cert: client.cert, key: client.key, method: o.method ?? 'GET', headers: o.headers ?? {}, ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }) })

  beforeAll(async () => {
    pki = createTestPki()
    ca = pki.ca('nhs')
    const server = ca.issue('gateway.test', { dns: ['localhost'], usage: 'server' })
    // the proxy is known by a SAN DNS name; the direct client's certificate is from the same CA
    proxy = ca.issue('BaRS Proxy', { dns: ['bars-proxy.test'], usage: 'client' })
    direct = ca.issue('direct-client.test', { usage: 'client' })
    gw = await startGateway({ env: { WORKWELL_TLS_CERT: server.certFile, WORKWELL_TLS_KEY: server.keyFile, WORKWELL_TLS_CLIENT_CA: ca.certFile, WORKWELL_BARS_PROXY_SUBJECTS: 'bars-proxy.test' } })
    const message = referralMessage(GM, { source: `${ODS_SYSTEM}|${A}` })
    bundleOfA = message.id ?? ''
    const r = await send(proxy, '/fhir/$process-message', { method: 'POST', headers: { ...barsHeaders(), ...asProxyFor(A) }, body: message })
    expect(r.status, r.body).toBe(200)
    taskOfA = (JSON.parse(r.body) as Bundle).entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as Task
  })
  afterAll(async () => {
    await gw?.close()
    pki?.remove()
  })

  it('accepts a referral from the proxy acting for the practice, and records software and practitioner in the audit trail', async () => {
    expect(taskOfA.id).toBeDefined()
    const own = await send(proxy, `/fhir/Task/${taskOfA.id ?? ''}`, { headers: asProxyFor(A) })
    expect(own.status).toBe(200)
    const db = new DatabaseSync(path.join(gw.dataDir, 'workwell.sqlite'), { readOnly: true })
    try {
      const agents = db.prepare("SELECT DISTINCT agent FROM audit_events WHERE subtype = 'process-message' AND outcome = '0'").all().map((r) => String(r.agent))
      expect(agents).toEqual([`client/proxy:bars-proxy.test/ods:${A} ods/${A} ods:${A} software:GP-SYSTEM-1/GP System/4.2 role-profile:100334993514/sct:62247001`])
    } finally {
      db.close()
    }
  })

  it('the proxy acting for another practice can neither read nor change A\'s referral', async () => {
    const sr = taskOfA.basedOn?.[0]?.reference ?? ''
    expect((await send(proxy, `/fhir/Task/${taskOfA.id ?? ''}`, { headers: asProxyFor(B) })).status).toBe(404)
    expect((await send(proxy, `/fhir/${sr}`, { headers: asProxyFor(B) })).status).toBe(404)
    const search = await send(proxy, '/fhir/Task', { headers: asProxyFor(B) })
    expect(search.status).toBe(200)
    expect((JSON.parse(search.body) as Bundle).total ?? 0).toBe(0)
    // B's cancellation of A's Bundle id names another referral: not found, A's stays as it was
    const cancel = await send(proxy, '/fhir/$process-message', { method: 'POST', headers: { ...barsHeaders(), ...asProxyFor(B) }, body: cancellationMessage(bundleOfA) })
    expect(cancel.status).not.toBe(200)
    const still = await send(proxy, `/fhir/Task/${taskOfA.id ?? ''}`, { headers: asProxyFor(A) })
    expect((JSON.parse(still.body) as Task).status).toBe(taskOfA.status)
    // and B cannot refer in A's name
    const posing = await send(proxy, '/fhir/$process-message', { method: 'POST', headers: { ...barsHeaders(), ...asProxyFor(B) }, body: referralMessage(GM, { source: `${ODS_SYSTEM}|${A}` }) })
    expect(posing.status).toBe(403)
  })

  it('missing or malformed NHSD headers are refused with BaRS codes, never answered with a broader identity', async () => {
    const none = await send(proxy, `/fhir/Task/${taskOfA.id ?? ''}`)
    expect(none.status).toBe(401)
    expect(barsCodeOf(none)).toBe('REC_UNAUTHORIZED')
    const noSoftware = await send(proxy, `/fhir/Task/${taskOfA.id ?? ''}`, { headers: { 'nhsd-end-user-organisation': organisation(A) } })
    expect(noSoftware.status).toBe(401)
    expect(barsCodeOf(noSoftware)).toBe('REC_UNAUTHORIZED')
    const bad = await send(proxy, `/fhir/Task/${taskOfA.id ?? ''}`, { headers: { ...asProxyFor(A), 'nhsd-end-user-organisation': 'not base64!' } })
    expect(bad.status).toBe(400)
    expect(barsCodeOf(bad)).toBe('REC_BAD_REQUEST')
  })

  it('a bearer token on a proxy connection is refused, even a valid one', async () => {
    const token = await gw.token({ roles: ['referrer', 'partnership'], ods: [A, B], partnership: ['greater-manchester'] })
    const r = await send(proxy, `/fhir/Task/${taskOfA.id ?? ''}`, { headers: { ...asProxyFor(A), authorization: `Bearer ${token}` } })
    expect(r.status).toBe(401)
    expect(barsCodeOf(r)).toBe('REC_UNAUTHORIZED')
  })

  it('the proxy cannot use what a referrer may not (the partnership\'s Task changes)', async () => {
    const r = await send(proxy, `/fhir/Task/${taskOfA.id ?? ''}`, { method: 'PATCH', headers: { ...asProxyFor(A), 'content-type': 'application/json-patch+json' }, body: [{ op: 'replace', path: '/status', value: 'accepted' }] })
    expect(r.status).toBe(401)
  })

  it('a direct caller is authenticated by its token alone: NHSD headers on its connection widen nothing', async () => {
    const noToken = await send(direct, `/fhir/Task/${taskOfA.id ?? ''}`, { headers: asProxyFor(A) })
    expect(noToken.status).toBe(401)
    const ofB = await gw.token({ roles: ['referrer'], ods: [B] })
    const posing = await send(direct, `/fhir/Task/${taskOfA.id ?? ''}`, { headers: { ...asProxyFor(A), authorization: `Bearer ${ofB}` } })
    expect(posing.status).toBe(404)
    const ofA = await gw.token({ roles: ['referrer'], ods: [A] })
    const own = await send(direct, `/fhir/Task/${taskOfA.id ?? ''}`, { headers: { authorization: `Bearer ${ofA}` } })
    expect(own.status).toBe(200)
    const created = await send(direct, '/fhir/$process-message', { method: 'POST', headers: { ...barsHeaders(), authorization: `Bearer ${ofB}` }, body: referralMessage(FRIMLEY, { source: `${ODS_SYSTEM}|${B}` }) })
    expect(created.status, created.body).toBe(200)
  })
})
