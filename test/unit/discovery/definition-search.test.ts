import type { MessageDefinition } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { definitionMatches } from '../../../src/discovery/definition-search.ts'

const def: MessageDefinition = {
  resourceType: 'MessageDefinition',
  url: 'https://gw.example/MessageDefinition/gm-fit',
  name: 'GMFitNoteBaRSRequest',
  title: 'GM fit-note BaRS request',
  status: 'active',
  date: '2026-12-01',
  eventCoding: { system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'servicerequest-request' },
  identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '2' }],
  useContext: [{ code: { code: 'workflow' }, valueCodeableConcept: { coding: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', code: '2' }] } }]
}

describe('definitionMatches', () => {
  it('matches url (version ignored), name or title from the start in any case, and tokens with or without their system', () => {
    expect(definitionMatches(def, {})).toBe(true)
    expect(definitionMatches(def, { url: 'https://gw.example/MessageDefinition/gm-fit|1.0.0' })).toBe(true)
    expect(definitionMatches(def, { url: 'https://gw.example/MessageDefinition/gm' })).toBe(false)
    expect(definitionMatches(def, { name: 'gm fit' })).toBe(true)
    expect(definitionMatches(def, { name: 'fit' })).toBe(false)
    expect(definitionMatches(def, { identifier: 'https://fhir.nhs.uk/Id/dos-service-id|2' })).toBe(true)
    expect(definitionMatches(def, { identifier: '2' })).toBe(true)
    expect(definitionMatches(def, { identifier: 'https://other.example|2' })).toBe(false)
    expect(definitionMatches(def, { event: 'servicerequest-response' })).toBe(false)
  })

  it('takes a context as a service id token, lets a BaRS use case context through, and ANDs repeated parameters while ORing commas', () => {
    expect(definitionMatches(def, { context: 'https://fhir.nhs.uk/Id/dos-service-id|2' })).toBe(true)
    expect(definitionMatches(def, { context: 'https://fhir.nhs.uk/Id/dos-service-id|3' })).toBe(false)
    expect(definitionMatches(def, { context: ['https://fhir.nhs.uk/Id/dos-service-id|2', 'https://fhir.nhs.uk/CodeSystem/usecases-categories-bars|a1t1'] })).toBe(true)
    expect(definitionMatches(def, { context: ['https://fhir.nhs.uk/Id/dos-service-id|2', 'https://fhir.nhs.uk/Id/dos-service-id|3'] })).toBe(false)
    expect(definitionMatches(def, { context: 'https://fhir.nhs.uk/Id/dos-service-id|3,https://fhir.nhs.uk/Id/dos-service-id|2' })).toBe(true)
  })
})
