import type { Bundle } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { MESSAGE_DEFINITION_URLS } from '../../../src/bars/bars-codes.ts'
import { checkMessageDefinition, MESSAGE_DEFINITIONS, messageDefinitionByUrl } from '../../../src/bars/message-definitions.ts'
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
