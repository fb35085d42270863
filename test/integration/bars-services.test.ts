import type { Bundle, CapabilityStatement, MessageDefinition, MessageHeader, OperationOutcome, Task } from '@medplum/fhirtypes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MESSAGE_DEFINITION_URLS } from '../../src/bars/bars-codes.ts'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, type Reply } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'
import { b64, barsHeaders, GATEWAY_SERVICE, referralMessage } from './bars-messages.ts'

/**
 * Discovery and intake per BaRS service id: greater-manchester's partnership.json offers a
 * GP referral service and a fit-note triage service, each under its own id, beside the
 * gateway's own id (WORKWELL_BARS_SERVICE_ID).
 */
const SYSTEM = 'https://fhir.workwell.example/Id/bars-service'
const GM_REFERRAL = `${SYSTEM}|greater-manchester-referral`
const GM_FIT_NOTE = `${SYSTEM}|greater-manchester-fit-note`
const DEF = 'https://fhir.workwell.example/MessageDefinition/ww-request-greater-manchester'
const GM_REFERRAL_DEF = `${DEF}-referral`
const GM_FIT_NOTE_DEF = `${DEF}-fit-note-triage`
const FIXTURES = 'fixtures/referrals'

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

async function search (query: string): Promise<string[]> {
  const r = await call(`${gw.fhir}/MessageDefinition${query}`, { headers: await asReferrer(gw) })
  expect(r.status, r.text).toBe(200)
  return ((r.body as unknown as Bundle).entry ?? []).map((e) => (e.resource as MessageDefinition).url ?? '').sort()
}

function target (serviceId: string): Record<string, string> {
  const [system, value] = serviceId.split('|')
  return { 'nhsd-target-identifier': b64({ system, value }) }
}

async function send (fixture: string, serviceId: string, definition: string, headers: Record<string, string> = target(serviceId)): Promise<Reply> {
  return call(`${gw.fhir}/$process-message`, { body: referralMessage(`${FIXTURES}/${fixture}`, { destination: serviceId, definition }), headers: { ...barsHeaders(), ...await asReferrer(gw), ...headers } })
}

function refusal (r: Reply): { code: string | undefined, bars: string | undefined, expression: string[] | undefined } {
  const e = (r.body as unknown as OperationOutcome).issue?.find((i) => i.severity === 'error')
  return { code: e?.code, bars: e?.details?.coding?.find((c) => c.system === 'https://fhir.nhs.uk/CodeSystem/http-error-codes')?.code, expression: e?.expression }
}

describe('discovery per BaRS service id', () => {
  it('GET /fhir/MessageDefinition?context=<service id> gives that service\'s request definition and the cancellation; a use case context narrows nothing', async () => {
    expect(await search(`?context=${GM_REFERRAL}`)).toEqual([GM_REFERRAL_DEF, MESSAGE_DEFINITION_URLS.cancellation].sort())
    expect(await search(`?context=${GM_FIT_NOTE}&context=https://fhir.nhs.uk/CodeSystem/usecases-categories-bars|a1t1&event=servicerequest-request`)).toEqual([GM_FIT_NOTE_DEF, MESSAGE_DEFINITION_URLS.cancellation].sort())
    expect(await search(`?context=${GATEWAY_SERVICE}`)).toEqual([MESSAGE_DEFINITION_URLS.cancellation, MESSAGE_DEFINITION_URLS.referral].sort())
    expect(await search(`?context=${SYSTEM}|nobody`)).toEqual([])
  })

  it('finds a service\'s definition by identifier (its service id), url and name as well', async () => {
    expect(await search(`?identifier=${GM_FIT_NOTE}`)).toEqual([GM_FIT_NOTE_DEF])
    expect(await search('?identifier=greater-manchester-referral')).toEqual([GM_REFERRAL_DEF])
    expect(await search(`?url=${GM_REFERRAL_DEF}`)).toEqual([GM_REFERRAL_DEF])
    expect(await search('?name=greater')).toEqual([GM_FIT_NOTE_DEF, GM_REFERRAL_DEF])
    expect(await search(`?url=${GM_REFERRAL_DEF},${GM_FIT_NOTE_DEF}&name=greater manchester workwell fit`)).toEqual([GM_FIT_NOTE_DEF])
  })

  it('each service\'s definition holds its ServiceRequest to the profile of its kind, and is read by id', async () => {
    const fit = await call(`${gw.fhir}/MessageDefinition/ww-request-greater-manchester-fit-note-triage`, { headers: await asReferrer(gw) })
    expect(fit.status).toBe(200)
    const def = fit.body as unknown as MessageDefinition
    expect(def.eventCoding).toEqual({ system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'servicerequest-request' })
    expect(def.focus?.find((f) => f.code === 'ServiceRequest')?.profile).toBe('https://fhir.workwell.example/StructureDefinition/WorkWell-FitNoteTriageRequest')
    expect(def.useContext?.[0]?.valueCodeableConcept?.coding).toEqual([{ system: SYSTEM, code: 'greater-manchester-fit-note' }])
    const referral = (await call(`${gw.fhir}/MessageDefinition/ww-request-greater-manchester-referral`, { headers: await asReferrer(gw) })).body as unknown as MessageDefinition
    expect(referral.focus?.find((f) => f.code === 'ServiceRequest')?.profile).toBe('https://fhir.workwell.example/StructureDefinition/WorkWell-Referral')
  })

  it('the CapabilityStatement\'s messaging lists every service\'s request definition as received, and the response as sent', async () => {
    const cs = (await call(`${gw.fhir}/metadata`)).body as unknown as CapabilityStatement
    expect(cs.messaging?.[0]?.supportedMessage).toEqual(expect.arrayContaining([
      { mode: 'receiver', definition: MESSAGE_DEFINITION_URLS.referral },
      { mode: 'receiver', definition: GM_REFERRAL_DEF },
      { mode: 'receiver', definition: GM_FIT_NOTE_DEF },
      { mode: 'receiver', definition: MESSAGE_DEFINITION_URLS.cancellation },
      { mode: 'sender', definition: MESSAGE_DEFINITION_URLS.response }
    ]))
    expect(cs.messaging?.[0]?.supportedMessage).toHaveLength(5)
  })
})

describe('$process-message per BaRS service id', () => {
  it('a referral to the partnership\'s referral service is taken, and answered from that service', async () => {
    const r = await send('greater-manchester/gp-referral.json', GM_REFERRAL, GM_REFERRAL_DEF)
    expect(r.status, r.text).toBe(200)
    const header = (r.body as unknown as Bundle).entry?.[0]?.resource as MessageHeader
    expect(header.source?.endpoint).toBe(GM_REFERRAL)
    const task = (r.body as unknown as Bundle).entry?.find((e) => e.resource?.resourceType === 'Task')?.resource as Task
    expect(task.owner?.reference).toBe('Organization/greater-manchester')
  })

  it('a fit-note triage request to the fit-note service is held to the fit-note profile: the condition is required there, not at the referral service', async () => {
    const fit = await send('greater-manchester/fit-note-triage.json', GM_FIT_NOTE, GM_FIT_NOTE_DEF)
    expect(fit.status, fit.text).toBe(200)
    const noCondition = async (serviceId: string, definition: string): Promise<Reply> => call(`${gw.fhir}/$process-message`, {
      body: referralMessage(`${FIXTURES}/greater-manchester/gp-referral.json`, { destination: serviceId, definition, serviceRequest: { reasonCode: undefined } }),
      headers: { ...barsHeaders(), ...await asReferrer(gw), ...target(serviceId) }
    })
    const atFitNote = await noCondition(GM_FIT_NOTE, GM_FIT_NOTE_DEF)
    expect(atFitNote.status, atFitNote.text).toBe(422)
    expect((atFitNote.body as unknown as OperationOutcome).issue?.flatMap((i) => i.expression ?? [])).toContain('Bundle.entry[1].resource.reasonCode')
    expect((await noCondition(GM_REFERRAL, GM_REFERRAL_DEF)).status).toBe(200)
  })

  it('a referral that belongs to another partnership is refused at the service, not routed there', async () => {
    const r = await send('frimley/gp-referral.json', GM_REFERRAL, GM_REFERRAL_DEF)
    expect(r.status, r.text).toBe(422)
    expect(refusal(r)).toEqual({ code: 'business-rule', bars: 'REC_UNPROCESSABLE_ENTITY', expression: ['Bundle.entry[0].resource.destination[0].endpoint'] })
    expect(r.text).toContain('frimley')
    // the gateway's own service id still routes it by its facts
    expect((await send('frimley/gp-referral.json', GATEWAY_SERVICE, MESSAGE_DEFINITION_URLS.referral)).status).toBe(200)
  })

  it('a service id the gateway does not offer is 404 REC_NOT_FOUND, in the target header or the destination, and nothing is stored', async () => {
    const before = Number((await call(`${gw.fhir}/Task?_count=1`, { headers: await asPartnership(gw) })).body.total)
    const byHeader = await send('greater-manchester/gp-referral.json', GM_REFERRAL, GM_REFERRAL_DEF, target(`${SYSTEM}|greater-manchester-physio`))
    expect(byHeader.status, byHeader.text).toBe(404)
    expect(refusal(byHeader)).toEqual({ code: 'not-found', bars: 'REC_NOT_FOUND', expression: ['NHSD-Target-Identifier'] })
    const byDestination = await send('greater-manchester/gp-referral.json', `${SYSTEM}|greater-manchester-physio`, GM_REFERRAL_DEF, {})
    expect(byDestination.status, byDestination.text).toBe(404)
    expect(refusal(byDestination)).toEqual({ code: 'not-found', bars: 'REC_NOT_FOUND', expression: ['Bundle.entry[0].resource.destination'] })
    expect(Number((await call(`${gw.fhir}/Task?_count=1`, { headers: await asPartnership(gw) })).body.total)).toBe(before)
  })

  it('a target header and a destination naming two of its services is 422: neither is guessed', async () => {
    const r = await send('greater-manchester/gp-referral.json', GM_REFERRAL, GM_REFERRAL_DEF, target(GM_FIT_NOTE))
    expect(r.status, r.text).toBe(422)
    expect(refusal(r)).toMatchObject({ code: 'not-supported', bars: 'REC_UNPROCESSABLE_ENTITY' })
  })

  it('the shared referral definition is not a partnership service\'s: 422 at MessageHeader.definition', async () => {
    const r = await send('greater-manchester/gp-referral.json', GM_REFERRAL, MESSAGE_DEFINITION_URLS.referral)
    expect(r.status, r.text).toBe(422)
    expect(refusal(r).expression).toEqual(['Bundle.entry[0].resource.definition'])
  })
})
