import type { Bundle } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { MESSAGE_DEFINITION_URLS } from '../../../src/bars/bars-codes.ts'
import { envelopeRecord, readEnvelope, referralIdFor } from '../../../src/bars/envelope.ts'
import { readMessage } from '../../../src/bars/message-bundle.ts'

const OWN = 'a:own|1'
const bundle: Bundle = {
  resourceType: 'Bundle',
  id: 'b-1',
  type: 'message',
  entry: [
    {
      resource: {
        resourceType: 'MessageHeader',
        eventCoding: { system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'servicerequest-request' },
        reason: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars', code: 'new' }] },
        destination: [{ endpoint: OWN }],
        source: { endpoint: 'a:gp|2', name: 'Surgery', contact: { system: 'phone', value: '+44 113 123 4567' } },
        focus: [{ reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' }],
        definition: MESSAGE_DEFINITION_URLS.referral
      }
    },
    { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: {} } },
    { fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222', resource: { resourceType: 'Patient' } }
  ]
}

describe('the BaRS envelope kept beside a referral', () => {
  it('is found again by the sender endpoint and Bundle.id, and by no other pair', () => {
    expect(referralIdFor('s', 'a:gp|2', 'b-1')).toBe(referralIdFor('s', 'a:gp|2', 'b-1'))
    expect(referralIdFor('s', 'a:gp|2', 'b-1')).not.toBe(referralIdFor('s', 'a:gp|3', 'b-1'))
    // another sender's same endpoint and Bundle.id is another referral
    expect(referralIdFor('s', 'a:gp|2', 'b-1')).not.toBe(referralIdFor('t', 'a:gp|2', 'b-1'))
    expect(referralIdFor('s', 'a:gp|2', 'b-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('keeps the Bundle.id, source endpoint and correlation id, and drops the contact phone', () => {
    const record = envelopeRecord(readMessage(bundle, OWN), 'sr-1', 'corr-1')
    expect(record.id).toBe('sr-1')
    expect(record.focus).toEqual([{ reference: 'ServiceRequest/sr-1' }])
    expect(JSON.stringify(record)).not.toContain('123 4567')
    // responses go to the source endpoint unless the route found another in the catalogue
    expect(readEnvelope(record)).toEqual({ bundleId: 'b-1', sourceEndpoint: 'a:gp|2', correlationId: 'corr-1', responseEndpoint: 'a:gp|2', serviceId: OWN })
    const elsewhere = envelopeRecord({ ...readMessage(bundle, OWN), responseEndpoint: 'a:dos|9' }, 'sr-1', 'corr-1')
    expect(readEnvelope(elsewhere)).toEqual({ bundleId: 'b-1', sourceEndpoint: 'a:gp|2', correlationId: 'corr-1', responseEndpoint: 'a:dos|9', serviceId: OWN })
    expect(elsewhere.source?.endpoint).toBe('a:gp|2')
    expect(readEnvelope({ resourceType: 'Patient' })).toBeUndefined()
    expect(readEnvelope(undefined)).toBeUndefined()
  })
})
