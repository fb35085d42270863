import { readFileSync } from 'node:fs'
import type { Bundle, BundleEntry, Consent, Observation, Patient, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'
import { parseTransaction, transactionResponse } from '../../../src/fhir/transaction-bundle.ts'

const P = 'urn:uuid:11111111-1111-4111-8111-111111111111'
const O = 'urn:uuid:22222222-2222-4222-8222-222222222222'
const C = 'urn:uuid:33333333-3333-4333-8333-333333333333'
const S = 'urn:uuid:44444444-4444-4444-8444-444444444444'

function entry (fullUrl: string | undefined, resource: Resource): BundleEntry {
  const e: BundleEntry = { resource, request: { method: 'POST', url: resource.resourceType } }
  if (fullUrl !== undefined) e.fullUrl = fullUrl
  return e
}

function bundle (): Bundle {
  const patient: Patient = { resourceType: 'Patient', id: 'client-chosen', birthDate: '1986-04-12' }
  const employment: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'employment' }, subject: { reference: P } }
  const consent: Consent = {
    resourceType: 'Consent', status: 'active', scope: { text: 'x' }, category: [{ text: 'x' }], patient: { reference: P }
  }
  const sr: ServiceRequest = {
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    subject: { reference: P },
    supportingInfo: [{ reference: O }, { reference: C }],
    requester: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'F83674' } }
  }
  return { resourceType: 'Bundle', type: 'transaction', entry: [entry(P, patient), entry(O, employment), entry(C, consent), entry(S, sr)] }
}

function ids (): () => string {
  let n = 0
  return () => `id-${++n}`
}

function failure (b: Bundle): OperationOutcomeError {
  try {
    parseTransaction(b, ids())
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError)
    return err as OperationOutcomeError
  }
  throw new Error('parseTransaction accepted the bundle')
}

const issuesOf = (b: Bundle): Array<{ code: string, expression: string[] | undefined }> =>
  failure(b).issues.map((i) => ({ code: i.code, expression: i.expression }))

describe('parseTransaction: a good referral transaction', () => {
  const parsed = parseTransaction(bundle(), ids())

  it('assigns a new id to every entry, in order, ignoring ids the client sent', () => {
    expect(parsed.entries.map((e) => [e.index, e.id, e.resource.resourceType])).toStrictEqual([
      [0, 'id-1', 'Patient'], [1, 'id-2', 'Observation'], [2, 'id-3', 'Consent'], [3, 'id-4', 'ServiceRequest']
    ])
    expect(parsed.resolved.map((r) => r.id)).toStrictEqual(['id-1', 'id-2', 'id-3', 'id-4'])
    expect(parsed.patientId).toBe('id-1')
    expect(parsed.serviceRequestId).toBe('id-4')
  })

  it('rewrites urn:uuid references to Type/id in the resources it will store', () => {
    const [, employment, consent, sr] = parsed.resolved as [Patient, Observation, Consent, ServiceRequest]
    expect(employment.subject).toStrictEqual({ reference: 'Patient/id-1' })
    expect(consent.patient).toStrictEqual({ reference: 'Patient/id-1' })
    expect(sr.subject).toStrictEqual({ reference: 'Patient/id-1' })
    expect(sr.supportingInfo).toStrictEqual([{ reference: 'Observation/id-2' }, { reference: 'Consent/id-3' }])
    expect(JSON.stringify(parsed.resolved)).not.toContain('urn:uuid:')
  })

  it('gives a package that resolves the original references to entries and their paths', () => {
    const { pkg } = parsed
    expect(pkg.serviceRequestPath).toBe('Bundle.entry[3].resource')
    expect(pkg.serviceRequest.subject?.reference).toBe(P)
    expect(pkg.resolve(pkg.serviceRequest.subject)).toMatchObject({ path: 'Bundle.entry[0].resource', resource: { resourceType: 'Patient' } })
    expect(pkg.resolve({ reference: C.toUpperCase().replace('URN:UUID:', 'urn:uuid:') })?.path).toBe('Bundle.entry[2].resource')
    expect(pkg.resolve({ reference: 'Patient/id-1' })).toBeUndefined()
    expect(pkg.resolve(undefined)).toBeUndefined()
  })

  it('matches fullUrls without regard to case', () => {
    const b = bundle()
    const first = b.entry?.[0]
    if (first !== undefined) first.fullUrl = P.toUpperCase().replace('URN:UUID:', 'urn:uuid:')
    const sr = parseTransaction(b, ids()).resolved[3] as ServiceRequest
    expect(sr.subject).toStrictEqual({ reference: 'Patient/id-1' })
  })

  it('parses the Greater Manchester example bundle', () => {
    const gm = JSON.parse(readFileSync(new URL('../../../fixtures/bundles/greater-manchester-transaction.json', import.meta.url), 'utf8')) as Bundle
    const result = parseTransaction(gm, ids())
    expect(result.entries).toHaveLength(gm.entry?.length ?? -1)
    expect(result.pkg.serviceRequest.resourceType).toBe('ServiceRequest')
    expect(JSON.stringify(result.resolved)).not.toContain('urn:uuid:')
  })
})

describe('parseTransaction refuses with 422', () => {
  it('a Bundle that is not a transaction', () => {
    const err = failure({ ...bundle(), type: 'batch' })
    expect(err.status).toBe(422)
    expect(err.issues).toStrictEqual([{ severity: 'error', code: 'invalid', diagnostics: 'POST /fhir takes a transaction Bundle, not "batch"', expression: ['Bundle.type'] }])
  })

  it('a transaction with no entries', () => {
    expect(failure({ resourceType: 'Bundle', type: 'transaction' }).issues).toMatchObject([{ code: 'required', expression: ['Bundle.entry'] }])
    expect(failure({ resourceType: 'Bundle', type: 'transaction', entry: [] }).status).toBe(422)
  })

  it('a repeated fullUrl, naming the first entry that used it, and nothing else', () => {
    const b = bundle()
    // a second resource claims the Patient's fullUrl: references to it still mean the first
    b.entry?.push(entry(P.toUpperCase().replace('URN:UUID:', 'urn:uuid:'), { resourceType: 'Observation', status: 'final', code: { text: 'other' } }))
    const err = failure(b)
    expect(err.status).toBe(422)
    expect(err.issues).toStrictEqual([{ severity: 'error', code: 'duplicate', diagnostics: 'fullUrl repeats entry 0', expression: ['Bundle.entry[4].fullUrl'] }])
  })

  it('a fullUrl that is missing or not a urn:uuid', () => {
    const b = bundle()
    const entries = b.entry ?? []
    delete entries[1]?.fullUrl
    if (entries[2] !== undefined) entries[2].fullUrl = 'http://example.org/Consent/1'
    const issues = issuesOf(b)
    expect(issues).toContainEqual({ code: 'invalid', expression: ['Bundle.entry[1].fullUrl'] })
    expect(issues).toContainEqual({ code: 'invalid', expression: ['Bundle.entry[2].fullUrl'] })
  })

  it('an entry that is not a POST of its own resource type', () => {
    const b = bundle()
    const entries = b.entry ?? []
    if (entries[1] !== undefined) entries[1].request = { method: 'PUT', url: 'Observation/1' }
    if (entries[2] !== undefined) entries[2].request = { method: 'POST', url: 'Observation' }
    delete entries[0]?.request
    const err = failure(b)
    expect(err.issues.filter((i) => i.code === 'not-supported')).toStrictEqual([
      { severity: 'error', code: 'not-supported', diagnostics: 'Only "POST Patient" entries are accepted', expression: ['Bundle.entry[0].request'] },
      { severity: 'error', code: 'not-supported', diagnostics: 'Only "POST Observation" entries are accepted', expression: ['Bundle.entry[1].request'] },
      { severity: 'error', code: 'not-supported', diagnostics: 'Only "POST Consent" entries are accepted', expression: ['Bundle.entry[2].request'] }
    ])
  })

  it('a resource type a referral may not create, or an entry without a resource', () => {
    const b = bundle()
    b.entry?.push(entry('urn:uuid:55555555-5555-4555-8555-555555555555', { resourceType: 'Organization', name: 'x' }))
    b.entry?.push({ fullUrl: 'urn:uuid:66666666-6666-4666-8666-666666666666', request: { method: 'POST', url: 'Patient' } })
    const issues = issuesOf(b)
    expect(issues).toContainEqual({ code: 'not-supported', expression: ['Bundle.entry[4].resource'] })
    expect(issues).toContainEqual({ code: 'required', expression: ['Bundle.entry[5].resource'] })
  })

  it('a urn:uuid reference that matches no entry, at the path of the reference', () => {
    const b = bundle()
    const sr = b.entry?.[3]?.resource as ServiceRequest
    sr.supportingInfo = [{ reference: O }, { reference: 'urn:uuid:99999999-9999-4999-8999-999999999999' }]
    const err = failure(b)
    expect(err.issues).toStrictEqual([{
      severity: 'error',
      code: 'not-found',
      diagnostics: 'Reference urn:uuid:99999999-9999-4999-8999-999999999999 does not match any entry\'s fullUrl',
      expression: ['Bundle.entry[3].resource.supportingInfo[1].reference']
    }])
  })

  it('no ServiceRequest', () => {
    const b = bundle()
    b.entry = b.entry?.slice(0, 3)
    expect(failure(b).issues).toStrictEqual([{
      severity: 'error', code: 'required', diagnostics: 'A referral transaction holds exactly one ServiceRequest, found 0', expression: ['Bundle.entry']
    }])
  })

  it('two ServiceRequests', () => {
    const b = bundle()
    const sr = b.entry?.[3]?.resource as ServiceRequest
    b.entry?.push(entry('urn:uuid:77777777-7777-4777-8777-777777777777', { ...sr }))
    expect(failure(b).issues).toStrictEqual([{
      severity: 'error', code: 'invalid', diagnostics: 'A referral transaction holds exactly one ServiceRequest, found 2', expression: ['Bundle.entry']
    }])
  })

  it('a ServiceRequest whose subject is not the Patient entry', () => {
    const expected = [{
      severity: 'error', code: 'invalid', diagnostics: 'ServiceRequest.subject must reference the Patient entry of this transaction', expression: ['Bundle.entry[3].resource.subject']
    }]
    for (const subject of [{ reference: O }, { reference: 'Patient/existing' }, { identifier: { value: '9912003888' } }]) {
      const b = bundle()
      const sr = b.entry?.[3]?.resource as ServiceRequest
      sr.subject = subject
      expect(failure(b).issues, JSON.stringify(subject)).toStrictEqual(expected)
    }
  })

  it('every problem at once', () => {
    const b = bundle()
    const entries = b.entry ?? []
    if (entries[2] !== undefined) entries[2].request = { method: 'DELETE', url: 'Consent/1' }
    const sr = entries[3]?.resource as ServiceRequest
    sr.note = [{ authorReference: { reference: 'urn:uuid:88888888-8888-4888-8888-888888888888' }, text: 'x' }]
    entries.push(entry(O, { resourceType: 'Observation', status: 'final', code: { text: 'again' } }))
    expect(issuesOf(b).map((i) => i.expression?.[0])).toStrictEqual([
      'Bundle.entry[2].request',
      'Bundle.entry[4].fullUrl',
      'Bundle.entry[3].resource.note[0].authorReference.reference'
    ])
  })
})

describe('transactionResponse', () => {
  it('answers each entry with 201, its location, etag and time, in order', () => {
    expect(transactionResponse([
      { resourceType: 'Patient', id: 'p1', versionId: '1', lastUpdated: '2026-11-20T10:15:00.000Z' },
      { resourceType: 'ServiceRequest', id: 's1', versionId: '2', lastUpdated: '2026-11-20T10:15:01.000Z' }
    ], 'resp-1')).toStrictEqual({
      resourceType: 'Bundle',
      id: 'resp-1',
      type: 'transaction-response',
      entry: [
        { response: { status: '201 Created', location: 'Patient/p1/_history/1', etag: 'W/"1"', lastModified: '2026-11-20T10:15:00.000Z' } },
        { response: { status: '201 Created', location: 'ServiceRequest/s1/_history/2', etag: 'W/"2"', lastModified: '2026-11-20T10:15:01.000Z' } }
      ]
    })
  })

  it('has no entries for no resources', () => {
    expect(transactionResponse([], 'r').entry).toStrictEqual([])
  })
})
