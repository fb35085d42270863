import type { Bundle, MessageHeader } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { MESSAGE_DEFINITION_URLS } from '../../../src/bars/bars-codes.ts'
import { barsServices, type BarsService } from '../../../src/bars/bars-services.ts'
import { readMessage } from '../../../src/bars/message-bundle.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'
import { FIT_NOTE_TRIAGE_PROFILE } from '../../../src/validation/profiles.ts'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'

const OWN = 'https://fhir.workwell.example/Id/bars-service|workwell'
const SR = 'urn:uuid:236bb75d-90ef-461f-b71e-fde7f899802c'
const PATIENT = 'urn:uuid:9589fb37-87a2-48d8-968f-b371429208a8'

function message (header: Partial<MessageHeader> = {}, status = 'active', extra: Partial<Bundle> = {}): Bundle {
  return {
    resourceType: 'Bundle',
    id: '86e3371d-1c15-4862-9552-d9560f8292ba',
    type: 'message',
    entry: [
      {
        fullUrl: 'urn:uuid:1cbdfb97-5859-48a4-8301-d54eab818d68',
        resource: {
          resourceType: 'MessageHeader',
          eventCoding: { system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'servicerequest-request' },
          reason: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars', code: 'new' }] },
          destination: [{ endpoint: OWN }],
          source: { endpoint: 'https://fhir.nhs.uk/Id/ods-organization-code|P88002' },
          focus: [{ reference: SR }],
          definition: MESSAGE_DEFINITION_URLS.referral,
          ...header
        }
      },
      { fullUrl: SR, resource: { resourceType: 'ServiceRequest', status: status as 'active', intent: 'order', subject: { reference: PATIENT } } },
      { fullUrl: PATIENT, resource: { resourceType: 'Patient' } }
    ],
    ...extra
  }
}

function partnership (id: string): Partnership {
  return { id, name: id, leadIcbs: [], practices: [], postcodeDistricts: [], delivery: { endpoint: 'https://p.example', format: 'fhir-bundle', maxAttempts: 1 }, sources: [] }
}

function refusal (body: unknown, offered: string | readonly BarsService[] = OWN): { status: number, codes: string[], at: string[] } {
  try {
    readMessage(body, offered)
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError)
    const e = err as OperationOutcomeError
    return { status: e.status, codes: e.issues.map((i) => i.code), at: e.issues.flatMap((i) => i.expression ?? []) }
  }
  throw new Error('expected a refusal')
}

describe('readMessage', () => {
  it('reads a new referral: its Bundle.id, source, focus and reason', () => {
    const m = readMessage(message(), OWN)
    expect(m).toMatchObject({ bundleId: '86e3371d-1c15-4862-9552-d9560f8292ba', reason: 'new', cancels: false, focusIndex: 1, sourceEndpoint: 'https://fhir.nhs.uk/Id/ods-organization-code|P88002' })
  })

  it('reads a cancellation: reason update, status revoked, the cancellation definition', () => {
    const m = readMessage(message({ reason: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars', code: 'update' }] }, definition: MESSAGE_DEFINITION_URLS.cancellation }, 'revoked'), OWN)
    expect(m.cancels).toBe(true)
  })

  it('refuses what is not a message Bundle with its MessageHeader first: 400', () => {
    expect(refusal([])).toMatchObject({ status: 400, codes: ['structure'] })
    expect(refusal({ resourceType: 'Patient' })).toMatchObject({ status: 400, at: ['Bundle.resourceType'] })
    expect(refusal({ ...message(), id: undefined, type: 'collection' })).toMatchObject({ status: 400, at: ['Bundle.type', 'Bundle.id'] })
    expect(refusal({ ...message(), entry: [] })).toMatchObject({ status: 400, at: ['Bundle.entry[0].resource'] })
  })

  it('answers another event 422 before anything else about it', () => {
    expect(refusal(message({ eventCoding: { system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'booking-request' }, focus: [], reason: undefined })))
      .toEqual({ status: 422, codes: ['not-supported'], at: ['Bundle.entry[0].resource.eventCoding'] })
  })

  it('refuses a missing reason, a source endpoint that is not system|value, a focus that is not the ServiceRequest: 400', () => {
    expect(refusal(message({ reason: undefined, source: { endpoint: 'https://gp.example/fhir' }, focus: [{ reference: PATIENT }] })))
      .toEqual({ status: 400, codes: ['required', 'value', 'invalid'], at: ['Bundle.entry[0].resource.reason', 'Bundle.entry[0].resource.source.endpoint', 'Bundle.entry[0].resource.focus'] })
  })

  it('answers a definition, destination or application version it does not take 422', () => {
    expect(refusal(message({ definition: 'https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-referral', destination: [{ endpoint: OWN }, { endpoint: OWN }] }, 'active', { meta: { versionId: '2.0.0' } })))
      .toEqual({ status: 422, codes: ['not-supported', 'not-supported', 'not-supported'], at: ['Bundle.entry[0].resource.definition', 'Bundle.entry[0].resource.destination', 'Bundle.meta.versionId'] })
  })

  it('answers a destination naming a service id the gateway does not offer 404 not-found, whatever else the message holds', () => {
    expect(refusal(message({ destination: [{ endpoint: 'x:y|z' }], definition: 'https://example.org/other' })))
      .toEqual({ status: 404, codes: ['not-found'], at: ['Bundle.entry[0].resource.destination'] })
  })

  describe('with a partnership\'s own services offered', () => {
    const services = barsServices(OWN, [{ ...partnership('gm'), barsServices: [{ serviceId: 'a:svc|gm-ref', kind: 'referral' }, { serviceId: 'a:svc|gm-fit', kind: 'fit-note-triage' }] }])
    const fitNote = services[2] as BarsService

    it('says which service the destination names, and takes that service\'s own definition', () => {
      const read = readMessage(message({ destination: [{ endpoint: 'a:svc|gm-fit' }], definition: fitNote.definitionUrl }), services)
      expect(read.service).toMatchObject({ serviceId: 'a:svc|gm-fit', kind: 'fit-note-triage', partnershipId: 'gm', profile: FIT_NOTE_TRIAGE_PROFILE })
      expect(readMessage(message(), services).service.serviceId).toBe(OWN)
    })

    it('refuses another service\'s definition 422: a definition says what one service takes', () => {
      expect(refusal(message({ destination: [{ endpoint: 'a:svc|gm-fit' }] }), services))
        .toEqual({ status: 422, codes: ['not-supported'], at: ['Bundle.entry[0].resource.definition'] })
    })
  })

  it.each([
    ['new', 'revoked', MESSAGE_DEFINITION_URLS.referral],
    ['new', 'active', MESSAGE_DEFINITION_URLS.cancellation],
    ['update', 'revoked', MESSAGE_DEFINITION_URLS.referral],
    ['update', 'completed', MESSAGE_DEFINITION_URLS.referral],
    ['cancel', 'active', MESSAGE_DEFINITION_URLS.referral]
  ])('reason %s with status %s and %s is no workflow: 400 invariant', (reason, status, definition) => {
    expect(refusal(message({ reason: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars', code: reason }] }, definition }, status)))
      .toMatchObject({ status: 400, codes: ['invariant'] })
  })

  it('checks the MessageDefinition last: a second Patient is 422 at that entry', () => {
    const m = message()
    m.entry?.push({ fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001', resource: { resourceType: 'Patient' } })
    expect(refusal(m)).toEqual({ status: 422, codes: ['business-rule'], at: ['Bundle.entry[3].resource'] })
  })
})
