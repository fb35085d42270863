import path from 'node:path'
import type { Endpoint, HealthcareService, Organization } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { barsServices } from '../../../src/bars/bars-services.ts'
import { catalogueEntries, catalogueServices } from '../../../src/discovery/catalogue-entries.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'

const REPO = path.resolve(import.meta.dirname, '../../..')
const OWN = 'https://example.org/Id/service|svc-1'
const NOW = new Date('2026-06-01T00:00:00Z')

async function partnerships (): ReturnType<typeof loadPartnerships> {
  return loadPartnerships(path.join(REPO, 'mappings'), {})
}

describe('catalogueEntries', () => {
  it('a partnership without its own service ids registers the gateway\'s: Organization, HealthcareService and Endpoint, linked together', async () => {
    const all = await partnerships()
    const partnership = all.get('frimley')
    if (partnership === undefined) throw new Error('no frimley partnership')
    const services = catalogueServices(partnership, barsServices(OWN, all.values()))
    expect(services.map((s) => s.serviceId)).toEqual([OWN])
    const bundle = catalogueEntries({ partnership, services, baseUrl: 'https://gw.example/fhir', now: NOW })
    const [org, service, endpoint] = (bundle.entry ?? []).map((e) => e.resource) as [Organization, HealthcareService, Endpoint]
    expect(org.identifier).toContainEqual({ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: partnership.leadIcbs.at(-1)?.odsCode })
    expect(service.identifier).toEqual([{ system: 'https://example.org/Id/service', value: 'svc-1' }])
    expect(service.providedBy?.reference).toBe('Organization/frimley')
    expect(service.endpoint?.[0]?.reference).toBe(`Endpoint/${endpoint.id ?? ''}`)
    expect(endpoint.address).toBe('https://gw.example/fhir/$process-message')
    expect(endpoint.connectionType.code).toBe('hl7-fhir-msg')
    expect(bundle.entry?.map((e) => e.fullUrl)).toEqual(['https://gw.example/fhir/Organization/frimley', 'https://gw.example/fhir/HealthcareService/frimley', 'https://gw.example/fhir/Endpoint/frimley-bars'])
  })

  it('a partnership with several services registers a HealthcareService and an Endpoint per BaRS service id, each naming its MessageDefinition', async () => {
    const all = await partnerships()
    const partnership = all.get('greater-manchester')
    if (partnership === undefined) throw new Error('no greater-manchester partnership')
    const services = catalogueServices(partnership, barsServices(OWN, all.values()))
    const bundle = catalogueEntries({ partnership, services, baseUrl: 'https://gw.example/fhir', now: NOW })
    const resources = (bundle.entry ?? []).map((e) => e.resource)
    expect(resources.map((r) => `${r?.resourceType ?? ''}/${r?.id ?? ''}`)).toEqual([
      'Organization/greater-manchester',
      'HealthcareService/greater-manchester-referral', 'Endpoint/greater-manchester-referral-bars',
      'HealthcareService/greater-manchester-fit-note-triage', 'Endpoint/greater-manchester-fit-note-triage-bars'
    ])
    const [, referral, referralEndpoint, fitNote] = resources as [Organization, HealthcareService, Endpoint, HealthcareService, Endpoint]
    expect(referral.identifier).toEqual([{ system: 'https://fhir.workwell.example/Id/bars-service', value: 'greater-manchester-referral' }])
    expect(fitNote.identifier).toEqual([{ system: 'https://fhir.workwell.example/Id/bars-service', value: 'greater-manchester-fit-note' }])
    expect(fitNote.name).toBe('Greater Manchester WorkWell fit-note triage')
    expect(referralEndpoint.identifier).toEqual(referral.identifier)
    expect(referralEndpoint.payloadType?.[0]?.text).toContain('/MessageDefinition/ww-request-greater-manchester-referral')
    expect(fitNote.endpoint?.[0]?.reference).toBe('Endpoint/greater-manchester-fit-note-triage-bars')
  })
})
