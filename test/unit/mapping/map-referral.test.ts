import { describe, expect, it } from 'vitest'
import type { Bundle, Resource } from '@medplum/fhirtypes'
import { MappingFieldError } from '../../../src/mapping/evaluate-fields.ts'
import { mapReferral } from '../../../src/mapping/map-referral.ts'
import type { Mapping, MappingField } from '../../../src/mapping/mapping.ts'
import { nclReferral } from './referral-fixture.ts'

const NHS = "%patient.identifier.where(system='https://fhir.nhs.uk/Id/nhs-number').value.distinct()"

/** The fields the json-record and csv mappings under mappings/ use, kept short here. */
const FIELDS: MappingField[] = [
  { name: 'nhsNumber', path: NHS, required: true },
  { name: 'familyName', path: "(%patient.name.where(use='official') | %patient.name).first().family", required: true },
  { name: 'givenName', path: "(%patient.name.where(use='official') | %patient.name).first().given.join(' ')" },
  { name: 'birthDate', path: '%patient.birthDate', required: true },
  { name: 'postcode', path: "(%patient.address.where(use='home') | %patient.address).first().postalCode" },
  { name: 'practiceOdsCode', path: 'requester.identifier.value' },
  { name: 'employmentSituation', path: 'contained.ofType(Observation).value.ofType(CodeableConcept).coding.code.first()' },
  { name: 'reasonCodes', path: 'reasonCode.coding.code', multiple: true },
  { name: 'triageOutcome', path: '%task.businessStatus.coding.code.first()', required: true },
  { name: 'priority', path: '(%task.priority | priority).first()' },
  { name: 'recommendedServices', path: "%task.output.where(type.coding.code='recommended-service').value.ofType(CodeableConcept).coding.code", multiple: true },
  { name: 'telecom', path: '%patient.telecom.value.first()' }
]

const mapping = (format: Mapping['format'], fields: MappingField[] = FIELDS): Mapping =>
  ({ partnershipId: 'test-partnership', format, version: '1', fields })

describe('mapReferral: json-record', () => {
  it('maps the NCL referral into one flat object, envelope first, absent optional fields null', () => {
    const result = mapReferral(mapping('json-record'), nclReferral())
    expect(result).toMatchObject({ ok: true, contentType: 'application/json; charset=utf-8' })
    if (!result.ok) throw new Error('unreachable')
    const record: unknown = JSON.parse(result.body)
    expect(record).toStrictEqual({
      referralId: 'sr-1',
      taskId: 'task-1',
      partnershipId: 'test-partnership',
      nhsNumber: '9912003888',
      familyName: 'Okafor',
      givenName: 'Adaeze',
      birthDate: '1986-04-12',
      postcode: 'N7 6LB',
      practiceOdsCode: 'F83674',
      employmentSituation: 'employed-off-sick',
      reasonCodes: ['35489007'],
      triageOutcome: 'eligible-refer',
      priority: 'urgent',
      recommendedServices: ['physiotherapy', 'employment-advice'],
      telecom: null
    })
    expect(Object.keys(record as object).slice(0, 3)).toEqual(['referralId', 'taskId', 'partnershipId'])
  })

  it('resolves %patient through ServiceRequest.subject, not just the first contained Patient', () => {
    const input = nclReferral()
    const decoy = { resourceType: 'Patient' as const, id: 'decoy', birthDate: '1900-01-01' }
    input.serviceRequest.contained = [decoy, ...(input.serviceRequest.contained ?? [])]
    const result = mapReferral(mapping('json-record', [{ name: 'birthDate', path: '%patient.birthDate' }]), input)
    expect(result.ok && JSON.parse(result.body)).toMatchObject({ birthDate: '1986-04-12' })
  })
})

describe('mapReferral: envelope names', () => {
  it('uses the names a mapping gives the envelope keys, in json-record and csv alike', () => {
    const renamed: Mapping = { ...mapping('json-record', FIELDS.slice(0, 1)), envelope: { referralId: 'REFERRAL_ID', partnershipId: 'Partnership' } }
    const json = mapReferral(renamed, nclReferral())
    expect(json.ok && JSON.parse(json.body)).toStrictEqual({ REFERRAL_ID: 'sr-1', taskId: 'task-1', Partnership: 'test-partnership', nhsNumber: '9912003888' })
    const csv = mapReferral({ ...renamed, format: 'csv' }, nclReferral())
    expect(csv.ok && csv.body).toBe('REFERRAL_ID,taskId,Partnership,nhsNumber\r\nsr-1,task-1,test-partnership,9912003888\r\n')
  })
})

describe('mapReferral: csv', () => {
  it('renders a header row and one data row with CRLF endings, multiple values joined by ;', () => {
    const input = nclReferral()
    input.serviceRequest.reasonCode?.push({ coding: [{ code: '197480006' }] })
    const result = mapReferral(mapping('csv'), input)
    expect(result).toStrictEqual({
      ok: true,
      contentType: 'text/csv; charset=utf-8; header=present',
      body:
        'referralId,taskId,partnershipId,nhsNumber,familyName,givenName,birthDate,postcode,practiceOdsCode,' +
        'employmentSituation,reasonCodes,triageOutcome,priority,recommendedServices,telecom\r\n' +
        'sr-1,task-1,test-partnership,9912003888,Okafor,Adaeze,1986-04-12,N7 6LB,F83674,' +
        'employed-off-sick,35489007;197480006,eligible-refer,urgent,physiotherapy;employment-advice,\r\n'
    })
  })

  it('quotes fields holding a comma, a quote or a line break (RFC 4180)', () => {
    const input = nclReferral()
    const patient = input.serviceRequest.contained?.[0]
    if (patient?.resourceType !== 'Patient') throw new Error('fixture changed')
    patient.name = [{ use: 'official', family: 'O\'Brien, "Jr"', given: ['Mary', 'Ann'] }]
    patient.address = [{ use: 'home', postalCode: 'N7\n6LB' }]
    const result = mapReferral(mapping('csv', FIELDS.slice(1, 5)), input)
    if (!result.ok) throw new Error('expected a mapping')
    const [header, row, rest] = result.body.split('\r\n')
    expect(header).toBe('referralId,taskId,partnershipId,familyName,givenName,birthDate,postcode')
    expect(row).toBe('sr-1,task-1,test-partnership,"O\'Brien, ""Jr""",Mary Ann,1986-04-12,"N7\n6LB"')
    expect(rest).toBe('')
  })
})

describe('mapReferral: fhir-bundle', () => {
  const bundleOf = (): Bundle => {
    const result = mapReferral(mapping('fhir-bundle', []), nclReferral())
    if (!result.ok) throw new Error('expected a mapping')
    expect(result.contentType).toBe('application/fhir+json; charset=utf-8')
    return JSON.parse(result.body) as Bundle
  }

  it('holds the ServiceRequest, its contained resources as entries, then the Task', () => {
    const bundle = bundleOf()
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' })
    const resources = (bundle.entry ?? []).map((e) => e.resource as Resource)
    expect(resources.map((r) => r.resourceType)).toEqual(['ServiceRequest', 'Patient', 'Observation', 'Consent', 'Task'])
    const [sr, patient, , , task] = resources
    expect(sr).toMatchObject({ id: 'sr-1' })
    expect(sr).not.toHaveProperty('contained')
    expect(task).toMatchObject({ id: 'task-1' })
    // a contained id means nothing outside its container
    expect(patient).not.toHaveProperty('id')
    expect(patient).toMatchObject({ birthDate: '1986-04-12' })
  })

  it('gives every entry a unique urn:uuid fullUrl and rewrites references to them', () => {
    const bundle = bundleOf()
    const entries = bundle.entry ?? []
    const urls = entries.map((e) => e.fullUrl ?? '')
    for (const url of urls) expect(url).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Set(urls).size).toBe(urls.length)
    const [srUrl, patientUrl, observationUrl, consentUrl] = urls
    expect(entries[0]?.resource).toMatchObject({
      subject: { reference: patientUrl },
      supportingInfo: [{ reference: observationUrl }, { reference: consentUrl }]
    })
    expect(entries[2]?.resource).toMatchObject({ subject: { reference: patientUrl } })
    expect(entries[3]?.resource).toMatchObject({ patient: { reference: patientUrl } })
    expect(entries[4]?.resource).toMatchObject({ basedOn: [{ reference: srUrl }], focus: { reference: srUrl } })
    expect(JSON.stringify(bundle)).not.toMatch(/"reference":"#/)
  })

  it('is deterministic and leaves its input untouched', () => {
    const input = nclReferral()
    const before = structuredClone(input)
    const first = mapReferral(mapping('fhir-bundle', []), input)
    expect(mapReferral(mapping('fhir-bundle', []), input)).toStrictEqual(first)
    expect(input).toStrictEqual(before)
  })

  it('rewrites a Task reference to a Patient inlined from the store (Type/id) to its entry', () => {
    const input = nclReferral()
    input.task.for = { reference: 'Patient/patient' }
    const result = mapReferral(mapping('fhir-bundle', []), input)
    const bundle = JSON.parse(result.ok ? result.body : '{}') as Bundle
    expect(bundle.entry?.[4]?.resource).toMatchObject({ for: { reference: bundle.entry?.[1]?.fullUrl } })
  })
})

describe('mapReferral: failures', () => {
  it('names every required field that evaluates to nothing, for every format', () => {
    const input = nclReferral()
    const patient = input.serviceRequest.contained?.[0]
    if (patient?.resourceType !== 'Patient') throw new Error('fixture changed')
    delete patient.identifier
    delete patient.birthDate
    for (const format of ['json-record', 'csv', 'fhir-bundle'] as const) {
      expect(mapReferral(mapping(format), input)).toStrictEqual({ ok: false, missing: ['nhsNumber', 'birthDate'] })
    }
  })

  it('treats an empty string (join of nothing) as missing', () => {
    const input = nclReferral()
    const field: MappingField = { name: 'phones', path: '%patient.telecom.value.join(\',\')', required: true }
    expect(mapReferral(mapping('json-record', [field]), input)).toStrictEqual({ ok: false, missing: ['phones'] })
  })

  it('reports a referral or Task without an id as missing its envelope key', () => {
    const input = nclReferral()
    delete input.serviceRequest.id
    expect(mapReferral(mapping('csv'), input)).toStrictEqual({ ok: false, missing: ['referralId'] })
  })

  it('fails when the ServiceRequest has no contained Patient at all', () => {
    const input = nclReferral()
    input.serviceRequest.contained = input.serviceRequest.contained?.filter((r) => r.resourceType !== 'Patient')
    const result = mapReferral(mapping('json-record'), input)
    expect(result).toStrictEqual({ ok: false, missing: ['nhsNumber', 'familyName', 'birthDate'] })
  })

  it('throws rather than drop a second value of a single-valued field', () => {
    const input = nclReferral()
    const patient = input.serviceRequest.contained?.[0]
    if (patient?.resourceType !== 'Patient') throw new Error('fixture changed')
    patient.identifier?.push({ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' })
    expect(() => mapReferral(mapping('json-record'), input)).toThrow(MappingFieldError)
    expect(() => mapReferral(mapping('json-record'), input)).toThrow("field 'nhsNumber': yields 2 values")
  })

  it('throws when a field yields an element instead of a primitive', () => {
    const field: MappingField = { name: 'name', path: '%patient.name' }
    expect(() => mapReferral(mapping('json-record', [field]), nclReferral())).toThrow('not a primitive')
  })
})
