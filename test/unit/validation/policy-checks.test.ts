import { beforeAll, describe, expect, it } from 'vitest'
import { createValidator } from '../../../src/validation/create-validator.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'
import { errorSummary, PROFILES_DIR } from './helpers.ts'

/** The receiver's optional policies (policy-checks.ts): off by default, as R4 allows what they reject. */

let validator: ResourceValidator
beforeAll(async () => {
  validator = await createValidator({ profilesDir: PROFILES_DIR })
})

const patient = (extra: Record<string, unknown>): Record<string, unknown> => ({ resourceType: 'Patient', id: 'p', ...extra })
const unknownExtension = { url: 'https://unknown.example.net/StructureDefinition/age', valueInteger: 3 }

describe('unknown extensions (extensions: known-only)', () => {
  it('lets them through by default (extensibility.html §2.5.0.1)', () => {
    expect(errorSummary(validator.validate(patient({ extension: [unknownExtension] })))).toEqual([])
  })

  it('rejects one with no definition here, on a resource, a datatype and a primitive', () => {
    const resource = patient({
      extension: [unknownExtension],
      name: [{ family: 'X', extension: [unknownExtension] }],
      _birthDate: { extension: [unknownExtension] },
      birthDate: '1970-01-01'
    })
    expect(errorSummary(validator.validate(resource, { extensions: 'known-only' }))).toEqual([
      'Patient.birthDate.extension[0]: structure',
      'Patient.extension[0]: structure',
      'Patient.name[0].extension[0]: structure'
    ])
  })

  it('accepts R4 core, loaded and HL7-namespace extensions, and the sub-extensions of a known one', () => {
    const resource = patient({
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueAddress: { city: 'Leeds' } },
        { url: 'http://hl7.org/fhir/StructureDefinition/organization-brand', extension: [{ url: 'brandLogo', valueUrl: 'https://nhs.uk/x.png' }] }
      ]
    })
    expect(errorSummary(validator.validate(resource, { extensions: 'known-only' }))).toEqual([])
  })

  it('checks contained resources too', () => {
    const resource = { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: '#p' }, contained: [patient({ extension: [unknownExtension] })] }
    expect(errorSummary(validator.validate(resource, { extensions: 'known-only' }))).toEqual(['ServiceRequest.contained[0].extension[0]: structure'])
  })
})

describe('example URLs (exampleUrls: reject)', () => {
  it('lets them through by default', () => {
    expect(errorSummary(validator.validate(patient({ photo: [{ url: 'http://repository.example.org/x.png' }] })))).toEqual([])
  })

  it('rejects uri, url and canonical values on the example domains, not other strings', () => {
    const resource = patient({
      photo: [{ url: 'http://repository.example.org/x.png' }],
      identifier: [{ system: 'https://example.com/ids', value: 'http://example.org/not-a-uri-element' }],
      telecom: [{ system: 'url', value: 'https://www.acme.com' }],
      managingOrganization: { reference: 'Organization/1', display: 'example.org' }
    })
    expect(errorSummary(validator.validate(resource, { exampleUrls: 'reject' }))).toEqual([
      'Patient.identifier[0].system: value',
      'Patient.photo[0].url: value'
    ])
  })

  it('does not mistake other hosts for example ones', () => {
    const resource = patient({ photo: [{ url: 'https://notexample.org/x.png' }, { url: 'https://example.org.uk/y.png' }] })
    expect(errorSummary(validator.validate(resource, { exampleUrls: 'reject' }))).toEqual([])
  })
})
