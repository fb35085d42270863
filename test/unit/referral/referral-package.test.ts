import { readFileSync } from 'node:fs'
import type { ServiceRequest } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { containedPackage, resolvePatient } from '../../../src/referral/referral-package.ts'

function fixture (name: string): ServiceRequest {
  return JSON.parse(readFileSync(new URL(`../../../fixtures/referrals/north-central-london/${name}`, import.meta.url), 'utf8')) as ServiceRequest
}

describe('containedPackage', () => {
  it('resolves #id references to contained resources, with their path in the request', () => {
    const sr = fixture('gp-referral.json')
    const pkg = containedPackage(sr)
    expect(pkg.serviceRequest).toBe(sr)
    expect(pkg.serviceRequestPath).toBe('ServiceRequest')
    const employment = pkg.resolve({ reference: '#employment' })
    expect(employment?.path).toBe('ServiceRequest.contained[1]')
    expect(employment?.resource).toBe(sr.contained?.[1])
    expect(pkg.resolve({ reference: '#consent' })).toMatchObject({ path: 'ServiceRequest.contained[2]', resource: { resourceType: 'Consent' } })
  })

  it('resolves nothing it does not hold', () => {
    const pkg = containedPackage(fixture('gp-referral.json'))
    expect(pkg.resolve(undefined)).toBeUndefined()
    expect(pkg.resolve({})).toBeUndefined()
    expect(pkg.resolve({ reference: '#nope' })).toBeUndefined()
    expect(pkg.resolve({ reference: 'patient' })).toBeUndefined()
    expect(pkg.resolve({ reference: 'Patient/patient' })).toBeUndefined()
  })

  it('skips contained resources without an id', () => {
    const sr: ServiceRequest = {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: '#p' },
      contained: [{ resourceType: 'Patient' }, { resourceType: 'Patient', id: 'p' }]
    }
    expect(containedPackage(sr).resolve({ reference: '#p' })?.path).toBe('ServiceRequest.contained[1]')
  })
})

describe('resolvePatient', () => {
  it('finds the Patient the subject points at', () => {
    const sr = fixture('fit-note-triage.json')
    const found = resolvePatient(containedPackage(sr))
    expect(found?.path).toBe('ServiceRequest.contained[0]')
    expect(found?.resource.birthDate).toBe('1979-09-02')
  })

  it('gives undefined when the subject is not a contained Patient', () => {
    const sr = fixture('gp-referral.json')
    expect(resolvePatient(containedPackage({ ...sr, subject: { reference: '#employment' } }))).toBeUndefined()
    expect(resolvePatient(containedPackage({ ...sr, subject: { reference: 'Patient/123' } }))).toBeUndefined()
    expect(resolvePatient(containedPackage({ ...sr, subject: { identifier: { value: '9912003888' } } }))).toBeUndefined()
  })
})
