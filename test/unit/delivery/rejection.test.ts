import { describe, expect, it } from 'vitest'
import { summariseRejection } from '../../../src/delivery/rejection.ts'

describe('summariseRejection', () => {
  it('keeps the coded parts of an OperationOutcome and drops diagnostics', () => {
    const body = JSON.stringify({
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'error', code: 'required', diagnostics: 'Okafor has no NHS number', expression: ['Referral.nhsNumber'] },
        { severity: 'error', code: 'invalid', details: { coding: [{ code: 'REC_BAD_REQUEST' }], text: 'free text' } }
      ]
    })
    expect(summariseRejection('application/fhir+json', body)).toBe('error required at Referral.nhsNumber; error invalid REC_BAD_REQUEST')
  })

  it('refuses anything that is not a coded token', () => {
    const body = JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'Adaeze Okafor, 12 Example Road' }] })
    expect(summariseRejection('application/json', body)).toBe('error')
  })

  it('gives nothing for other bodies', () => {
    expect(summariseRejection('text/plain', 'missing surname Okafor')).toBeUndefined()
    expect(summariseRejection('application/json', '{"error":"missing surname Okafor"}')).toBeUndefined()
    expect(summariseRejection('application/json', 'not json')).toBeUndefined()
    expect(summariseRejection('application/json', '')).toBeUndefined()
  })
})
