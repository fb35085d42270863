import type { Bundle } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { MESSAGE_DEFINITION_URLS } from '../../../src/bars/bars-codes.ts'
import { barsServices } from '../../../src/bars/bars-services.ts'
import { acceptedDefinitions, checkMessageDefinition, discoveryDefinitions, MESSAGE_DEFINITIONS, messageDefinitionByUrl, serviceDefinition, supportedMessages } from '../../../src/bars/message-definitions.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'
import { FIT_NOTE_TRIAGE_PROFILE } from '../../../src/validation/profiles.ts'
import { TRANSACTION_TYPES } from '../../../src/fhir/transaction-bundle.ts'

const bundle = (...types: string[]): Bundle => ({ resourceType: 'Bundle', type: 'message', entry: types.map((t) => ({ resource: { resourceType: t } as never })) })

describe('the published MessageDefinitions', () => {
  it('have unique ids and urls, and the referral carries exactly what a referral transaction creates', () => {
    expect(new Set(MESSAGE_DEFINITIONS.map((d) => d.id)).size).toBe(MESSAGE_DEFINITIONS.length)
    const referral = messageDefinitionByUrl(MESSAGE_DEFINITION_URLS.referral)
    expect(new Set(referral?.focus?.map((f) => f.code).filter((c) => c !== 'MessageHeader'))).toEqual(TRANSACTION_TYPES)
    expect(messageDefinitionByUrl(`${MESSAGE_DEFINITION_URLS.cancellation}|1.0.0`)?.id).toBe('workwell-bars-servicerequest-request-cancelled')
    expect(messageDefinitionByUrl('https://example.org/nope')).toBeUndefined()
  })
})

describe('checkMessageDefinition', () => {
  const referral = messageDefinitionByUrl(MESSAGE_DEFINITION_URLS.referral)!
  it('passes a message within every min and max', () => {
    expect(checkMessageDefinition(bundle('MessageHeader', 'ServiceRequest', 'Patient', 'Observation', 'Observation', 'Consent'), referral)).toEqual([])
  })

  it('names a type the definition does not carry, at each entry of it', () => {
    const found = checkMessageDefinition(bundle('MessageHeader', 'ServiceRequest', 'Patient', 'Encounter', 'Encounter'), referral)
    expect(found).toHaveLength(1)
    expect(found[0]?.expression).toEqual(['Bundle.entry[3].resource', 'Bundle.entry[4].resource'])
  })

  it('counts against min and max', () => {
    expect(checkMessageDefinition(bundle('MessageHeader', 'ServiceRequest'), referral).map((i) => i.diagnostics)).toEqual([expect.stringMatching(/at least 1 Patient, found 0/)])
    expect(checkMessageDefinition(bundle('MessageHeader', 'ServiceRequest', 'Patient', 'Patient'), referral)[0]?.expression).toEqual(['Bundle.entry[3].resource'])
  })
})

describe('the MessageDefinitions per BaRS service id', () => {
  const OWN = 'https://fhir.workwell.example/Id/bars-service|workwell'
  const gm: Partnership = {
    id: 'greater-manchester',
    name: 'Greater Manchester WorkWell',
    leadIcbs: [],
    practices: [],
    postcodeDistricts: [],
    delivery: { endpoint: 'https://gm.example', format: 'fhir-bundle', maxAttempts: 1 },
    sources: [],
    barsServices: [{ serviceId: 'https://fhir.nhs.uk/Id/dos-service-id|1', kind: 'referral' }, { serviceId: 'https://fhir.nhs.uk/Id/dos-service-id|2', kind: 'fit-note-triage' }]
  }
  const [own, referral, fitNote] = barsServices(OWN, [gm]) as [ReturnType<typeof barsServices>[number], ReturnType<typeof barsServices>[number], ReturnType<typeof barsServices>[number]]

  it('gives each service its own request definition, named by its service id as identifier and use context', () => {
    const def = serviceDefinition(fitNote)
    expect(def).toMatchObject({
      id: 'ww-request-greater-manchester-fit-note-triage',
      url: fitNote.definitionUrl,
      eventCoding: { code: 'servicerequest-request' },
      identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '2' }],
      useContext: [{ code: { code: 'workflow' }, valueCodeableConcept: { coding: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', code: '2' }] } }]
    })
    expect(def.focus?.find((f) => f.code === 'ServiceRequest')?.profile).toBe(FIT_NOTE_TRIAGE_PROFILE)
    // the rest of what it carries is the referral's
    expect(def.focus?.map((f) => [f.code, f.min, f.max])).toEqual(MESSAGE_DEFINITIONS[0]?.focus?.map((f) => [f.code, f.min, f.max]))
    expect(serviceDefinition(referral).title).toBe('Greater Manchester WorkWell referrals BaRS request')
    // the gateway's own id keeps the shared referral definition
    expect(serviceDefinition(own)).toMatchObject({ url: MESSAGE_DEFINITION_URLS.referral, identifier: [{ value: 'workwell' }] })
  })

  it('publishes one request definition per service, the cancellation in every service\'s context, and the response; supported messages follow', () => {
    const defs = discoveryDefinitions([own, referral, fitNote])
    expect(defs.map((d) => d.url)).toEqual([MESSAGE_DEFINITION_URLS.referral, referral.definitionUrl, fitNote.definitionUrl, MESSAGE_DEFINITION_URLS.cancellation, MESSAGE_DEFINITION_URLS.response])
    expect(new Set(defs.map((d) => d.id)).size).toBe(5)
    expect(defs[3]?.useContext?.map((u) => u.valueCodeableConcept?.coding?.[0]?.code)).toEqual(['workwell', '1', '2'])
    expect(supportedMessages(defs).map((m) => m.mode)).toEqual(['receiver', 'receiver', 'receiver', 'receiver', 'sender'])
    expect(acceptedDefinitions(fitNote)).toEqual(new Set([fitNote.definitionUrl, MESSAGE_DEFINITION_URLS.cancellation]))
  })
})
