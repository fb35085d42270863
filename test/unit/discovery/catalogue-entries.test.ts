import path from 'node:path'
import type { Endpoint, HealthcareService, Organization } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { catalogueEntries } from '../../../src/discovery/catalogue-entries.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'

const REPO = path.resolve(import.meta.dirname, '../../..')

describe('catalogueEntries', () => {
  it('gives the Organization, HealthcareService and Endpoint a partnership registers, linked together', async () => {
    const partnership = (await loadPartnerships(path.join(REPO, 'mappings'), {})).get('greater-manchester')
    if (partnership === undefined) throw new Error('no greater-manchester partnership')
    const bundle = catalogueEntries({ partnership, serviceId: 'https://example.org/Id/service|svc-1', baseUrl: 'https://gw.example/fhir', now: new Date('2026-06-01T00:00:00Z') })
    const [org, service, endpoint] = (bundle.entry ?? []).map((e) => e.resource) as [Organization, HealthcareService, Endpoint]
    expect(org.identifier).toContainEqual({ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'QOP' })
    expect(service.identifier).toEqual([{ system: 'https://example.org/Id/service', value: 'svc-1' }])
    expect(service.providedBy?.reference).toBe('Organization/greater-manchester')
    expect(service.endpoint?.[0]?.reference).toBe(`Endpoint/${endpoint.id ?? ''}`)
    expect(endpoint.address).toBe('https://gw.example/fhir/$process-message')
    expect(endpoint.connectionType.code).toBe('hl7-fhir-msg')
    expect(bundle.entry?.map((e) => e.fullUrl)).toEqual(['https://gw.example/fhir/Organization/greater-manchester', 'https://gw.example/fhir/HealthcareService/greater-manchester', `https://gw.example/fhir/Endpoint/${endpoint.id ?? ''}`])
  })
})
