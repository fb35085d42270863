import { describe, expect, it } from 'vitest'
import { acceptedVersion, auditAgent, readBarsHeaders } from '../../../src/bars/headers.ts'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'

const OWN = 'https://fhir.workwell.example/Id/bars-service|workwell'
const IDS = { 'x-request-id': 'C1AB3FBA-6BAE-4BA4-B257-5A87C44D4A91', 'x-correlation-id': '9562466f-c982-4bd5-bb0e-255e9f5e6689' }
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64')

function refused (fn: () => unknown): OperationOutcomeError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError)
    return err as OperationOutcomeError
  }
  throw new Error('expected a refusal')
}

describe('acceptedVersion', () => {
  it('is undefined without a version parameter, and the highest supported one otherwise', () => {
    expect(acceptedVersion(undefined)).toBeUndefined()
    expect(acceptedVersion('application/fhir+json')).toBeUndefined()
    expect(acceptedVersion('application/fhir+json; version=1.4.0')).toBe('1.4.0')
    expect(acceptedVersion('application/fhir+json;version=1.1.0, application/fhir+json; version="1.3.0-alpha", application/fhir+json; version=2.0.0')).toBe('1.3.0-alpha')
  })

  it('refuses a major version it does not speak with 406 processing REC_NOT_ACCEPTABLE', () => {
    const err = refused(() => acceptedVersion('application/fhir+json; version=2.0.0'))
    expect(err.status).toBe(406)
    expect(err.issues[0]).toMatchObject({ code: 'processing', expression: ['Accept'], details: { coding: [{ code: 'REC_NOT_ACCEPTABLE' }] } })
    expect(refused(() => acceptedVersion('application/fhir+json; version=latest')).status).toBe(406)
  })
})

describe('readBarsHeaders', () => {
  it('lower-cases the ids and decodes the NHSD headers', () => {
    const h = readBarsHeaders({
      ...IDS,
      accept: 'application/fhir+json; version=1.4.0',
      'nhsd-target-identifier': b64({ system: 'https://fhir.workwell.example/Id/bars-service', value: 'workwell' }),
      'nhsd-end-user-organisation': b64({ resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'A1001' }], name: 'Not recorded' }),
      'nhsd-requesting-software': b64({ resourceType: 'Device', identifier: [{ system: 'https://consumersupplier.com/Id/device-identifier', value: 'SUPP-APP-1' }], deviceName: [{ name: 'Patient Manager' }], version: [{ value: '1.7' }] })
    }, OWN)
    expect(h).toEqual({
      requestId: 'c1ab3fba-6bae-4ba4-b257-5a87c44d4a91',
      correlationId: '9562466f-c982-4bd5-bb0e-255e9f5e6689',
      version: '1.4.0',
      target: { system: 'https://fhir.workwell.example/Id/bars-service', value: 'workwell' },
      organisation: 'A1001',
      software: { id: 'SUPP-APP-1', name: 'Patient Manager', version: '1.7' }
    })
    expect(auditAgent(h)).toBe('ods:A1001 software:SUPP-APP-1/Patient Manager/1.7')
  })

  it('reports both missing ids in one 400', () => {
    const err = refused(() => readBarsHeaders({}, OWN))
    expect(err.status).toBe(400)
    expect(err.issues.map((i) => [i.code, i.expression?.[0]])).toEqual([['required', 'X-Request-Id'], ['required', 'X-Correlation-Id']])
    expect(err.issues.every((i) => i.details?.coding?.[0]?.code === 'REC_BAD_REQUEST')).toBe(true)
  })

  it('refuses ids that are not UUIDs', () => {
    expect(refused(() => readBarsHeaders({ ...IDS, 'x-correlation-id': 'abc-123' }, OWN)).issues[0]).toMatchObject({ code: 'invalid', expression: ['X-Correlation-Id'] })
  })

  it('refuses NHSD headers that are not base64 JSON, or not the resource BaRS names', () => {
    expect(refused(() => readBarsHeaders({ ...IDS, 'nhsd-target-identifier': 'e30' }, OWN)).issues[0]?.code).toBe('structure')
    expect(refused(() => readBarsHeaders({ ...IDS, 'nhsd-target-identifier': b64([1, 2]) }, OWN)).issues[0]?.code).toBe('structure')
    expect(refused(() => readBarsHeaders({ ...IDS, 'nhsd-target-identifier': b64({ system: 'x' }) }, OWN)).issues[0]?.diagnostics).toMatch(/Invalid schema/)
    expect(refused(() => readBarsHeaders({ ...IDS, 'nhsd-end-user-organisation': b64({ resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: '12' }] }) }, OWN)).issues[0]?.code).toBe('value')
    expect(refused(() => readBarsHeaders({ ...IDS, 'nhsd-requesting-software': b64({ resourceType: 'Device', identifier: [{ value: 'x'.repeat(65) }] }) }, OWN)).issues[0]?.code).toBe('value')
    expect(refused(() => readBarsHeaders({ ...IDS, 'nhsd-requesting-software': b64({ resourceType: 'Device', identifier: [{ value: 'SUPP' }], deviceName: [{ name: 'Dr Jane Smith\n' }] }) }, OWN)).issues[0]?.code).toBe('value')
  })

  it('answers a target that is another service 404 REC_NOT_FOUND', () => {
    const err = refused(() => readBarsHeaders({ ...IDS, 'nhsd-target-identifier': b64({ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '1' }) }, OWN))
    expect(err.status).toBe(404)
    expect(err.issues[0]?.details?.coding?.[0]?.code).toBe('REC_NOT_FOUND')
    // every service id the gateway offers is a target of its own; any other is still 404
    const offered = new Set([OWN, 'https://fhir.nhs.uk/Id/dos-service-id|1'])
    expect(readBarsHeaders({ ...IDS, 'nhsd-target-identifier': b64({ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '1' }) }, offered).target)
      .toEqual({ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '1' })
    expect(refused(() => readBarsHeaders({ ...IDS, 'nhsd-target-identifier': b64({ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '2' }) }, offered)).status).toBe(404)
  })

  it('decodes NHSD-Requesting-Practitioner (a PractitionerRole) to its SDS role profile id and SNOMED role, for the audit agent', () => {
    const gp = { resourceType: 'PractitionerRole', identifier: [{ system: 'https://fhir.nhs.uk/Id/sds-role-profile-id', value: '100334993514' }], practitioner: { display: 'Dr Paul Rastall' }, code: [{ coding: [{ system: 'http://snomed.info/sct', code: '62247001', display: 'General practitioner' }] }] }
    const h = readBarsHeaders({ ...IDS, 'nhsd-requesting-practitioner': b64(gp) }, OWN)
    expect(h.practitioner).toEqual({ roleProfileId: '100334993514', role: '62247001' })
    expect(auditAgent(h)).toBe('role-profile:100334993514/sct:62247001')
    expect(auditAgent(h)).not.toContain('Rastall')
    const { code: _c, ...noRole } = gp
    expect(readBarsHeaders({ ...IDS, 'nhsd-requesting-practitioner': b64(noRole) }, OWN).practitioner).toEqual({ roleProfileId: '100334993514' })
  })

  it('refuses an NHSD-Requesting-Practitioner that is not base64 JSON, not a PractitionerRole, or lacks a valid SDS role profile id or SNOMED code', () => {
    const gp = { resourceType: 'PractitionerRole', identifier: [{ system: 'https://fhir.nhs.uk/Id/sds-role-profile-id', value: '100334993514' }] }
    const bad = [
      ['bm90IGpzb24=', 'structure'],
      [b64({ ...gp, resourceType: 'Practitioner' }), 'value'],
      [b64({ ...gp, identifier: [{ system: 'https://fhir.nhs.uk/Id/sds-user-id', value: '100334993514' }] }), 'value'],
      [b64({ ...gp, identifier: [{ system: 'https://fhir.nhs.uk/Id/sds-role-profile-id', value: 'Dr Smith' }] }), 'value'],
      [b64({ ...gp, code: [{ coding: [{ system: 'http://snomed.info/sct', code: 'General practitioner' }] }] }), 'value']
    ] as const
    for (const [header, code] of bad) {
      const err = refused(() => readBarsHeaders({ ...IDS, 'nhsd-requesting-practitioner': header }, OWN))
      expect(err.status).toBe(400)
      expect(err.issues[0]).toMatchObject({ code, expression: ['NHSD-Requesting-Practitioner'], details: { coding: [{ code: 'REC_BAD_REQUEST' }] } })
    }
  })

  it('names an unauthenticated agent when no NHSD header says who is calling', () => {
    expect(auditAgent(readBarsHeaders(IDS, OWN))).toBe('unauthenticated')
  })
})
