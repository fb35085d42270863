import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import type { Bundle, MessageHeader, OperationOutcome, Task } from '@medplum/fhirtypes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MESSAGE_DEFINITION_URLS } from '../../src/bars/bars-codes.ts'
import { referralIdFor } from '../../src/bars/envelope.ts'
import { testRequestKey, testSender } from '../helpers/gateway.ts'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { until } from '../helpers/until.ts'
import { call, fixturePartnerships, readJson, type Reply } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'
import { b64, barsHeaders, cancellationMessage, GATEWAY_SERVICE, REFERRER, referralMessage } from './bars-messages.ts'

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

const GM = 'fixtures/referrals/greater-manchester/gp-referral.json'

async function post (body: unknown, headers: Record<string, string> = barsHeaders()): Promise<Reply> {
  return call(`${gw.fhir}/$process-message`, { body, headers: { ...await asReferrer(gw), ...headers } })
}

type Issue = NonNullable<OperationOutcome['issue']>[number]
function issues (r: Reply): Issue[] {
  expect(r.body.resourceType).toBe('OperationOutcome')
  return (r.body as unknown as OperationOutcome).issue ?? []
}
/** the one error's FHIR code, BaRS code and element path */
function error (r: Reply): { code: string, bars: string | undefined, expression: string[] } {
  const e = issues(r).find((i) => i.severity === 'error')
  expect(e, r.text).toBeDefined()
  return {
    code: e?.code ?? '',
    bars: e?.details?.coding?.find((c) => c.system === 'https://fhir.nhs.uk/CodeSystem/http-error-codes')?.code,
    expression: e?.expression ?? []
  }
}
function header (r: Reply): MessageHeader {
  return ((r.body as unknown as Bundle).entry?.[0]?.resource) as MessageHeader
}
function taskOf (r: Reply): Task {
  return (r.body as unknown as Bundle).entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as Task
}

describe('POST /fhir/$process-message: a BaRS referral', () => {
  it.each(fixturePartnerships())('%s: the gp-referral fixture as a message gets a response message carrying the triage Task', async (partnership) => {
    const message = referralMessage(`fixtures/referrals/${partnership}/gp-referral.json`)
    const headers = barsHeaders()
    const r = await post(message, headers)
    expect(r.status, r.text).toBe(200)
    expect(r.headers.get('x-request-id')).toBe(headers['x-request-id'])
    expect(r.headers.get('x-correlation-id')).toBe(headers['x-correlation-id'])
    const bundle = r.body as unknown as Bundle
    expect(bundle.type).toBe('message')
    const h = header(r)
    expect(h.eventCoding).toEqual({ system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'servicerequest-response' })
    expect(h.response).toEqual({ identifier: message.id, code: 'ok' })
    expect(h.destination?.[0]?.endpoint).toBe(REFERRER)
    const task = taskOf(r)
    expect(h.focus?.[0]?.reference).toBe(`Task/${task.id ?? ''}`)
    expect(task.owner?.reference).toBe(`Organization/${partnership}`)
    // the same pipeline as every door: the Task is stored and readable, based on the stored referral
    const srId = referralIdFor(testSender(gw), REFERRER, message.id ?? '')
    expect(task.basedOn?.[0]?.reference).toBe(`ServiceRequest/${srId}`)
    expect((await call(`${gw.fhir}/Task/${task.id ?? ''}`, { headers: await asPartnership(gw) })).status).toBe(200)
    const sr = await call(`${gw.fhir}/ServiceRequest/${srId}`, { headers: await asReferrer(gw) })
    expect(sr.status).toBe(200)
    expect((sr.body.subject as { reference: string }).reference).toMatch(/^Patient\/[0-9a-f-]{36}$/)
  })

  it('refuses a sender with no endpoint in the catalogue (responses could not reach it), and warns of none when its source is listed', async () => {
    const r = await post(referralMessage(GM, { source: 'https://fhir.nhs.uk/Id/ods-organization-code|Y99999' }))
    expect(r.status).toBe(422)
    expect(error(r)).toEqual({ code: 'not-found', bars: 'REC_UNPROCESSABLE_ENTITY', expression: ['Bundle.entry[0].resource.source.endpoint'] })
    const known = await post(referralMessage(GM))
    expect((known.body as unknown as Bundle).entry?.some((e) => e.resource?.resourceType === 'OperationOutcome' &&
      (e.resource as OperationOutcome).issue?.some((i) => i.expression?.[0] === 'Bundle.entry[0].resource.source.endpoint'))).toBe(false)
  })

  it('records the decoded NHSD-End-User-Organisation, NHSD-Requesting-Software and NHSD-Requesting-Practitioner in the audit trail', async () => {
    const headers = barsHeaders({
      'nhsd-end-user-organisation': b64({ resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'P88002' }], name: 'Marple Bridge Surgery' }),
      'nhsd-requesting-software': b64({ resourceType: 'Device', identifier: [{ system: 'https://consumersupplier.com/Id/device-identifier', value: 'SUPP-APP-1' }], deviceName: [{ name: 'GP System', type: 'manufacturer-name' }], version: [{ value: '3.2' }] }),
      'nhsd-requesting-practitioner': b64({ resourceType: 'PractitionerRole', identifier: [{ system: 'https://fhir.nhs.uk/Id/sds-role-profile-id', value: '100334993514' }], code: [{ coding: [{ system: 'http://snomed.info/sct', code: '62247001', display: 'General practitioner' }] }] })
    })
    // the token's client comes first: what the gateway verified, then what the headers claim
    // the sending practice (its endpoint's ODS code) and the practice it refers for
    const token = await gw.token({ roles: ['referrer'], ods: ['Y02720', 'P88002'], client: 'bars-gp-1' })
    const r = await post(referralMessage(GM), { ...headers, authorization: `Bearer ${token}` })
    expect(r.status, r.text).toBe(200)
    const db = new DatabaseSync(path.join(gw.dataDir, 'workwell.sqlite'), { readOnly: true })
    try {
      const rows = db.prepare('SELECT action, subtype, agent, entity FROM audit_events WHERE correlation_id = ? ORDER BY action, entity').all(headers['x-correlation-id'] ?? '')
      const agent = 'client/bars-gp-1 ods/Y02720,P88002 ods:P88002 software:SUPP-APP-1/GP System/3.2 role-profile:100334993514/sct:62247001'
      expect(rows.length).toBeGreaterThanOrEqual(4)
      expect(rows.every((row) => row.agent === agent)).toBe(true)
      expect(rows.map((row) => `${String(row.action)} ${String(row.entity).split('/')[0]}`)).toEqual(expect.arrayContaining(['C ServiceRequest', 'C Task', 'C Patient', 'C MessageHeader', 'E Bundle']))
    } finally {
      db.close()
    }
  })

  it('audits a refused message too, as a failure, with who sent it', async () => {
    const headers = barsHeaders({ 'nhsd-end-user-organisation': b64({ resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'P88002' }] }) })
    const message = referralMessage(GM, { definition: 'https://example.org/MessageDefinition/other' })
    const token = await gw.token({ roles: ['referrer'], ods: ['Y02720'], client: 'bars-gp-2' })
    expect((await post(message, { ...headers, authorization: `Bearer ${token}` })).status).toBe(422)
    const db = new DatabaseSync(path.join(gw.dataDir, 'workwell.sqlite'), { readOnly: true })
    try {
      const rows = db.prepare('SELECT action, subtype, outcome, agent, entity FROM audit_events WHERE correlation_id = ?').all(headers['x-correlation-id'] ?? '')
      expect(rows.map((r) => ({ ...r }))).toEqual([{ action: 'E', subtype: 'process-message', outcome: '4', agent: 'client/bars-gp-2 ods/Y02720 ods:P88002', entity: `Bundle/${message.id ?? ''}` }])
    } finally {
      db.close()
    }
  })
})

describe('BaRS headers on $process-message', () => {
  it.each([
    ['X-Request-Id', 'x-request-id'],
    ['X-Correlation-Id', 'x-correlation-id']
  ])('%s missing is 400 REC_BAD_REQUEST required; not a UUID is 400 invalid', async (name, key) => {
    const without = barsHeaders()
    delete without[key]
    const missing = await post(referralMessage(GM), without)
    expect(missing.status).toBe(400)
    expect(error(missing)).toEqual({ code: 'required', bars: 'REC_BAD_REQUEST', expression: [name] })
    const bad = await post(referralMessage(GM), barsHeaders({ [key]: 'not-a-uuid' }))
    expect(bad.status).toBe(400)
    expect(error(bad)).toEqual({ code: 'invalid', bars: 'REC_BAD_REQUEST', expression: [name] })
    expect(bad.headers.get(key)).toBe('not-a-uuid')
  })

  it('echoes both ids on an error answer too', async () => {
    const headers = barsHeaders()
    const r = await post({ resourceType: 'Bundle', type: 'transaction' }, headers)
    expect(r.status).toBe(400)
    expect(r.headers.get('x-request-id')).toBe(headers['x-request-id'])
    expect(r.headers.get('x-correlation-id')).toBe(headers['x-correlation-id'])
  })

  it('answers a processed X-Request-Id with 409 duplicate, and one in flight with 425', async () => {
    const headers = barsHeaders()
    const message = referralMessage(GM)
    expect((await post(message, headers)).status).toBe(200)
    const again = await post(message, headers)
    expect(again.status).toBe(409)
    expect(error(again)).toMatchObject({ code: 'duplicate', bars: 'REC_CONFLICT' })

    const inFlight = randomUUID()
    await gw.deps.store.claimRequestId(testRequestKey(gw, inFlight), new Date(), 60_000)
    const early = await post(referralMessage(GM), barsHeaders({ 'x-request-id': inFlight }))
    expect(early.status).toBe(425)
    expect(error(early)).toMatchObject({ code: 'duplicate', bars: 'REC_TOO_EARLY' })
  })

  it('a second "new" message with a Bundle.id already received is 409 conflict', async () => {
    const message = referralMessage(GM)
    expect((await post(message)).status).toBe(200)
    const again = await post(message)
    expect(again.status).toBe(409)
    expect(error(again)).toEqual({ code: 'conflict', bars: 'REC_CONFLICT', expression: ['Bundle.id'] })
    const racing = referralMessage(GM)
    const results = await Promise.all([post(racing), post(racing), post(racing)])
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409])
  })

  it('selects the BaRS version from Accept: 1.x is served, 2.0.0 is 406 REC_NOT_ACCEPTABLE', async () => {
    expect((await post(referralMessage(GM), barsHeaders({ accept: 'application/fhir+json; version=1.2.0' }))).status).toBe(200)
    expect((await post(referralMessage(GM), barsHeaders({ accept: 'application/fhir+json' }))).status).toBe(200)
    // BaRS senders label the body with the version too
    expect((await post(referralMessage(GM), barsHeaders({ 'content-type': 'application/fhir+json;version=1.4.0' }))).status).toBe(200)
    const r = await post(referralMessage(GM), barsHeaders({ accept: 'application/fhir+json; version=2.0.0' }))
    expect(r.status).toBe(406)
    expect(error(r)).toEqual({ code: 'processing', bars: 'REC_NOT_ACCEPTABLE', expression: ['Accept'] })
  })

  it('checks NHSD-Target-Identifier when present: this gateway is 200, another 404, not base64 JSON or no system 400', async () => {
    const own = b64({ system: 'https://fhir.workwell.example/Id/bars-service', value: 'workwell' })
    expect((await post(referralMessage(GM), barsHeaders({ 'nhsd-target-identifier': own }))).status).toBe(200)
    const other = await post(referralMessage(GM), barsHeaders({ 'nhsd-target-identifier': b64({ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '2000011147' }) }))
    expect(other.status).toBe(404)
    expect(error(other)).toEqual({ code: 'not-found', bars: 'REC_NOT_FOUND', expression: ['NHSD-Target-Identifier'] })
    const notBase64 = await post(referralMessage(GM), barsHeaders({ 'nhsd-target-identifier': '{not base64}' }))
    expect(notBase64.status).toBe(400)
    expect(error(notBase64)).toEqual({ code: 'structure', bars: 'REC_BAD_REQUEST', expression: ['NHSD-Target-Identifier'] })
    const noSystem = await post(referralMessage(GM), barsHeaders({ 'nhsd-target-identifier': b64({ value: '2000011147' }) }))
    expect(noSystem.status).toBe(400)
    expect(error(noSystem).code).toBe('structure')
  })

  it('refuses NHSD-End-User-Organisation, NHSD-Requesting-Software and NHSD-Requesting-Practitioner that do not decode to what BaRS says', async () => {
    const org = await post(referralMessage(GM), barsHeaders({ 'nhsd-end-user-organisation': b64({ resourceType: 'Patient', identifier: [] }) }))
    expect(org.status).toBe(400)
    expect(error(org)).toEqual({ code: 'value', bars: 'REC_BAD_REQUEST', expression: ['NHSD-End-User-Organisation'] })
    const software = await post(referralMessage(GM), barsHeaders({ 'nhsd-requesting-software': 'bm90IGpzb24=' }))
    expect(software.status).toBe(400)
    expect(error(software)).toEqual({ code: 'structure', bars: 'REC_BAD_REQUEST', expression: ['NHSD-Requesting-Software'] })
    const practitioner = await post(referralMessage(GM), barsHeaders({ 'nhsd-requesting-practitioner': b64({ resourceType: 'Practitioner', name: [{ family: 'Rastall' }] }) }))
    expect(practitioner.status).toBe(400)
    expect(error(practitioner)).toEqual({ code: 'value', bars: 'REC_BAD_REQUEST', expression: ['NHSD-Requesting-Practitioner'] })
  })
})

describe('the message is checked against its MessageDefinition and the WorkWell profiles', () => {
  it('a definition the gateway does not publish is 422 REC_UNPROCESSABLE_ENTITY at MessageHeader.definition', async () => {
    const r = await post(referralMessage(GM, { definition: 'https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-referral' }))
    expect(r.status).toBe(422)
    expect(error(r)).toEqual({ code: 'not-supported', bars: 'REC_UNPROCESSABLE_ENTITY', expression: ['Bundle.entry[0].resource.definition'] })
  })

  it('a ServiceRequest that does not claim WorkWell-Referral is still held to it: no referral source is 422 at its entry', async () => {
    const message = referralMessage(GM, { serviceRequest: { meta: undefined, category: undefined } })
    const at = (message.entry ?? []).findIndex((e) => e.resource?.resourceType === 'ServiceRequest')
    const r = await post(message)
    expect(r.status).toBe(422)
    expect(issues(r).flatMap((i) => i.expression ?? [])).toContain(`Bundle.entry[${at}].resource.category`)
  })

  it('a destination naming a service id this gateway does not offer is 404 REC_NOT_FOUND', async () => {
    const r = await post(referralMessage(GM, { destination: 'https://fhir.nhs.uk/Id/dos-service-id|111111111' }))
    expect(r.status).toBe(404)
    expect(error(r)).toEqual({ code: 'not-found', bars: 'REC_NOT_FOUND', expression: ['Bundle.entry[0].resource.destination'] })
  })

  it('a resource the definition does not carry is 422 business-rule at that entry', async () => {
    const message = referralMessage(GM)
    message.entry?.push({ fullUrl: `urn:uuid:${randomUUID()}`, resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' } } })
    const r = await post(message)
    expect(r.status).toBe(422)
    expect(error(r)).toEqual({ code: 'business-rule', bars: 'REC_UNPROCESSABLE_ENTITY', expression: [`Bundle.entry[${(message.entry?.length ?? 0) - 1}].resource`] })
  })

  it('two Patients is 422 at the second one', async () => {
    const message = referralMessage(GM)
    const patientAt = message.entry?.findIndex((e) => e.resource?.resourceType === 'Patient') ?? -1
    message.entry?.push({ fullUrl: `urn:uuid:${randomUUID()}`, resource: message.entry[patientAt]?.resource })
    const r = await post(message)
    expect(r.status).toBe(422)
    expect(error(r).expression).toEqual([`Bundle.entry[${(message.entry?.length ?? 0) - 1}].resource`])
  })

  it('a profile failure is 422 with the path of the element in the message', async () => {
    const message = referralMessage(GM)
    const at = message.entry?.findIndex((e) => e.resource?.resourceType === 'ServiceRequest') ?? -1
    delete (message.entry?.[at]?.resource as { authoredOn?: string }).authoredOn
    const r = await post(message)
    expect(r.status).toBe(422)
    expect(issues(r).some((i) => i.severity === 'error' && (i.expression ?? []).some((e) => e.startsWith(`Bundle.entry[${at}].resource`)))).toBe(true)
    expect(error(r).bars).toBe('REC_UNPROCESSABLE_ENTITY')
  })

  it('an unresolved urn:uuid reference is reported at its own entry of the message', async () => {
    const message = referralMessage(GM)
    const at = message.entry?.findIndex((e) => e.resource?.resourceType === 'ServiceRequest') ?? -1
    const sr = message.entry?.[at]?.resource as { supportingInfo?: Array<{ reference: string }> }
    sr.supportingInfo = [...(sr.supportingInfo ?? []), { reference: `urn:uuid:${randomUUID()}` }]
    const r = await post(message)
    expect(r.status).toBe(422)
    expect(issues(r).some((i) => (i.expression ?? []).some((e) => e.startsWith(`Bundle.entry[${at}].resource.supportingInfo`)))).toBe(true)
  })

  it('workflow variables that make no workflow (reason new, status revoked) are 400 invariant', async () => {
    const r = await post(referralMessage(GM, { serviceRequest: { status: 'revoked' } }))
    expect(r.status).toBe(400)
    expect(error(r)).toMatchObject({ code: 'invariant', bars: 'REC_BAD_REQUEST' })
  })

  it('a Bundle that is not a message, or has no MessageHeader first, is 400', async () => {
    const notMessage = await post({ ...referralMessage(GM), type: 'collection' })
    expect(notMessage.status).toBe(400)
    expect(error(notMessage).expression).toEqual(['Bundle.type'])
    const m = referralMessage(GM)
    m.entry?.reverse()
    const r = await post(m)
    expect(r.status).toBe(400)
    expect(error(r).expression).toEqual(['Bundle.entry[0].resource'])
  })
})

describe('reason update', () => {
  it('a cancellation cancels the triage Task with the sender\'s reason; a repeat is 409 duplicate, a second cancel 409 conflict', async () => {
    const message = referralMessage(GM)
    const created = await post(message)
    expect(created.status).toBe(200)
    const taskId = taskOf(created).id ?? ''

    const headers = barsHeaders()
    const cancel = cancellationMessage(message.id ?? '', 'Patient has moved away')
    const r = await post(cancel, headers)
    expect(r.status, r.text).toBe(200)
    expect(header(r).response?.identifier).toBe(message.id)
    expect(taskOf(r)).toMatchObject({ id: taskId, status: 'cancelled', statusReason: { text: 'Patient has moved away' } })
    const stored = await call(`${gw.fhir}/Task/${taskId}`, { headers: await asPartnership(gw) })
    expect(stored.body).toMatchObject({ status: 'cancelled', meta: { versionId: '2' } })

    const repeat = await post(cancel, headers)
    expect(repeat.status).toBe(409)
    expect(error(repeat)).toMatchObject({ code: 'duplicate', bars: 'REC_CONFLICT' })
    const second = await post(cancellationMessage(message.id ?? ''))
    expect(second.status).toBe(409)
    expect(error(second)).toMatchObject({ code: 'conflict', bars: 'REC_CONFLICT' })
  })

  it('a cancellation of a referral never received is 404 REC_NOT_FOUND', async () => {
    const r = await post(cancellationMessage(randomUUID()))
    expect(r.status).toBe(404)
    expect(error(r)).toEqual({ code: 'not-found', bars: 'REC_NOT_FOUND', expression: ['Bundle.id'] })
  })

  it('a cancellation with the referral definition, or a cancel status with reason new, is 400 invariant', async () => {
    const cancel = cancellationMessage(randomUUID())
    ;(cancel.entry?.[0]?.resource as MessageHeader).definition = MESSAGE_DEFINITION_URLS.referral
    expect(error(await post(cancel)).code).toBe('invariant')
  })

  it('a change to an active referral re-triages it: the next ServiceRequest and Task versions, carried by the waiting delivery, the request id done', async () => {
    const message = referralMessage(GM)
    const created = await post(message)
    expect(created.status).toBe(200)
    const before = taskOf(created)
    const srId = referralIdFor(testSender(gw), REFERRER, message.id ?? '')
    const headers = barsHeaders({ 'x-correlation-id': created.headers.get('x-correlation-id') ?? randomUUID() })
    const update = referralMessage(GM, { bundleId: message.id ?? '', reason: 'update', serviceRequest: { note: [{ text: 'Symptoms have worsened since the first referral' }] } })
    const r = await post(update, headers)
    expect(r.status, r.text).toBe(200)
    expect(header(r).response?.identifier).toBe(message.id)
    const task = taskOf(r)
    expect(task).toMatchObject({ id: before.id, status: 'requested', meta: { versionId: '2' }, owner: before.owner })
    // the notes only grow: the first triage summary stays, the new one follows it
    expect(task.note?.slice(0, before.note?.length ?? 0)).toEqual(before.note)
    expect(task.note?.length).toBe((before.note?.length ?? 0) + 1)
    const sr = await call(`${gw.fhir}/ServiceRequest/${srId}`, { headers: await asReferrer(gw) })
    expect(sr.body).toMatchObject({ status: 'active', meta: { versionId: '2' }, note: [{ text: 'Symptoms have worsened since the first referral' }] })
    expect((await call(`${gw.fhir}/Task/${before.id ?? ''}`, { headers: await asPartnership(gw) })).body).toMatchObject({ meta: { versionId: '2' } })
    // this gateway runs no worker: the referral's own row still waits, and will send the referral
    // as it now stands, so the change adds no second row (the same referral is not sent twice)
    const rows = await gw.deps.store.listDeliveries({ serviceRequestId: srId, limit: 10 })
    expect(rows.map((row) => [row.kind, row.status])).toEqual([['referral', 'pending']])
    const repeat = await post(update, headers)
    expect(repeat.status).toBe(409)
    expect(error(repeat)).toMatchObject({ code: 'duplicate', bars: 'REC_CONFLICT' })
  })

  it('a change once the partnership took the referral on, or after it was cancelled, is 409 conflict; of one never received 404', async () => {
    const message = referralMessage(GM)
    const created = await post(message)
    const task = taskOf(created)
    const accepted = await call(`${gw.fhir}/Task/${task.id ?? ''}`, { method: 'PUT', body: { ...task, status: 'accepted' }, headers: { ...await asPartnership(gw), 'if-match': 'W/"1"' } })
    expect(accepted.status, accepted.text).toBe(200)
    const late = await post(referralMessage(GM, { bundleId: message.id ?? '', reason: 'update' }))
    expect(late.status).toBe(409)
    expect(error(late)).toMatchObject({ code: 'conflict', bars: 'REC_CONFLICT' })
    expect(error(late).expression[0]).toMatch(/^Bundle\.entry\[\d+\]\.resource\.status$/)
    expect((await call(`${gw.fhir}/ServiceRequest/${referralIdFor(testSender(gw), REFERRER, message.id ?? '')}`, { headers: await asReferrer(gw) })).body).toMatchObject({ meta: { versionId: '1' } })

    const other = referralMessage(GM)
    expect((await post(other)).status).toBe(200)
    expect((await post(cancellationMessage(other.id ?? ''))).status).toBe(200)
    expect((await post(referralMessage(GM, { bundleId: other.id ?? '', reason: 'update' }))).status).toBe(409)

    const unknown = await post(referralMessage(GM, { bundleId: randomUUID(), reason: 'update' }))
    expect(unknown.status).toBe(404)
    expect(error(unknown).bars).toBe('REC_NOT_FOUND')
  })
})

describe('reason update: BaRS data conflict (meta.lastUpdated)', () => {
  it('a change without meta.lastUpdated is 400 REC_BAD_REQUEST required, naming each resource', async () => {
    const message = referralMessage(GM)
    expect((await post(message)).status).toBe(200)
    const bare = await post(referralMessage(GM, { bundleId: message.id ?? '', reason: 'update', lastUpdated: null }))
    expect(bare.status).toBe(400)
    expect(error(bare)).toMatchObject({ code: 'required', bars: 'REC_BAD_REQUEST' })
    expect(issues(bare).map((i) => i.expression?.[0])).toContain('Bundle.entry[1].resource.meta.lastUpdated')
    expect((await call(`${gw.fhir}/ServiceRequest/${referralIdFor(testSender(gw), REFERRER, message.id ?? '')}`, { headers: await asReferrer(gw) })).body).toMatchObject({ meta: { versionId: '1' } })
  })

  it('a change made before the referral last changed here is 409 REC_CONFLICT conflict; made after, it applies', async () => {
    const message = referralMessage(GM)
    expect((await post(message)).status).toBe(200)
    const srId = referralIdFor(testSender(gw), REFERRER, message.id ?? '')
    // made by the sender before it even sent the referral: the referral changed here since
    const stale = await post(referralMessage(GM, { bundleId: message.id ?? '', reason: 'update', lastUpdated: '2026-01-01T00:00:00Z', serviceRequest: { note: [{ text: 'stale' }] } }))
    expect(stale.status, stale.text).toBe(409)
    expect(error(stale)).toMatchObject({ code: 'conflict', bars: 'REC_CONFLICT' })
    expect(error(stale).expression[0]).toMatch(/^Bundle\.entry\[\d+\]\.resource\.meta\.lastUpdated$/)

    // change B is made, then change A is made and applied first: B was made on a referral that has changed since
    const madeB = new Date().toISOString()
    // A is made strictly later than B
    await until(() => Date.now() > Date.parse(madeB), 1_000, 'the clock to pass the instant B was made')
    const a = await post(referralMessage(GM, { bundleId: message.id ?? '', reason: 'update', serviceRequest: { note: [{ text: 'change A' }] } }))
    expect(a.status, a.text).toBe(200)
    const b = await post(referralMessage(GM, { bundleId: message.id ?? '', reason: 'update', lastUpdated: madeB, serviceRequest: { note: [{ text: 'change B' }] } }))
    expect(b.status).toBe(409)
    expect(error(b)).toMatchObject({ code: 'conflict', bars: 'REC_CONFLICT' })
    expect((await call(`${gw.fhir}/ServiceRequest/${srId}`, { headers: await asReferrer(gw) })).body).toMatchObject({ meta: { versionId: '2' }, note: [{ text: 'change A' }] })

    // the sender reads the referral and makes its change again: applied
    const again = await post(referralMessage(GM, { bundleId: message.id ?? '', reason: 'update', serviceRequest: { note: [{ text: 'change B' }] } }))
    expect(again.status, again.text).toBe(200)
    expect((await call(`${gw.fhir}/ServiceRequest/${srId}`, { headers: await asReferrer(gw) })).body).toMatchObject({ meta: { versionId: '3' }, note: [{ text: 'change B' }] })
  })
})

describe('the checked-in example messages (fixtures/bars)', () => {
  it('the referral message is accepted and its cancellation cancels the Task', async () => {
    const created = await post(readJson('fixtures/bars/greater-manchester-referral-message.json'))
    expect(created.status, created.text).toBe(200)
    expect(header(created).response?.identifier).toBe('b6f0c1c2-3d4e-4f5a-8b6c-7d8e9f0a1b2c')
    const cancelled = await post(readJson('fixtures/bars/greater-manchester-cancellation-message.json'))
    expect(cancelled.status, cancelled.text).toBe(200)
    expect(taskOf(cancelled)).toMatchObject({ id: taskOf(created).id, status: 'cancelled', statusReason: { text: 'Patient has moved out of the area' } })
  })
})

describe('GET /fhir/MessageDefinition', () => {
  it('lists what the gateway accepts and sends, by event, and reads one by id', async () => {
    const all = await call(`${gw.fhir}/MessageDefinition`, { headers: await asReferrer(gw) })
    expect(all.status).toBe(200)
    // the gateway's own referral, greater-manchester's two services, the cancellation and the response
    expect(all.body.total).toBe(5)
    const requests = await call(`${gw.fhir}/MessageDefinition?event=servicerequest-request&context=${GATEWAY_SERVICE}`, { headers: await asReferrer(gw) })
    expect((requests.body.entry as Array<{ resource: { url: string } }>).map((e) => e.resource.url).sort()).toEqual([MESSAGE_DEFINITION_URLS.cancellation, MESSAGE_DEFINITION_URLS.referral])
    // a service id it does not offer finds nothing
    expect((await call(`${gw.fhir}/MessageDefinition?context=https://fhir.nhs.uk/Id/dos-service-id|2000099999`, { headers: await asReferrer(gw) })).body.total).toBe(0)
    const one = await call(`${gw.fhir}/MessageDefinition/workwell-bars-servicerequest-request-referral`, { headers: await asReferrer(gw) })
    expect(one.body).toMatchObject({ resourceType: 'MessageDefinition', url: MESSAGE_DEFINITION_URLS.referral })
    expect((await call(`${gw.fhir}/MessageDefinition/nope`, { headers: await asReferrer(gw) })).status).toBe(404)
    expect((await call(`${gw.fhir}/MessageDefinition?colour=blue`, { headers: await asReferrer(gw) })).status).toBe(400)
  })

  it('the CapabilityStatement lists $process-message, MessageDefinition and the supported messages', async () => {
    const cs = (await call(`${gw.fhir}/metadata`)).body as { rest: Array<{ operation: Array<{ name: string }>, resource: Array<{ type: string }> }>, messaging: Array<{ supportedMessage: Array<{ mode: string, definition: string }> }> }
    expect(cs.rest[0]?.operation.map((o) => o.name)).toContain('process-message')
    expect(cs.rest[0]?.resource.map((r) => r.type)).toContain('MessageDefinition')
    expect(cs.messaging[0]?.supportedMessage).toContainEqual({ mode: 'receiver', definition: MESSAGE_DEFINITION_URLS.referral })
  })
})
