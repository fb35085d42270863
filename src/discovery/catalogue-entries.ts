import type { Bundle, Endpoint, HealthcareService, Organization } from '@medplum/fhirtypes'
import { SYSTEMS } from '../fhir/systems.ts'
import type { Partnership } from '../routing/partnership.ts'
import { icbOn } from '../routing/route-referral.ts'

/**
 * A partnership as an Organization (Task.owner resolves to it): its id and, on that date,
 * its lead ICB's ODS code.
 */
export function partnershipOrganization (p: Partnership, on: Date): Organization {
  const icb = icbOn(p, on)
  return {
    resourceType: 'Organization',
    id: p.id,
    identifier: [
      { system: SYSTEMS.partnershipId, value: p.id },
      ...(icb === undefined ? [] : [{ system: SYSTEMS.odsOrganisation, value: icb.odsCode }])
    ],
    active: true,
    name: p.name
  }
}

/** What the gateway's Endpoint Catalogue registration is made of. */
export interface CatalogueInput {
  partnership: Partnership
  /** the gateway's BaRS service id, "system|value" (WORKWELL_BARS_SERVICE_ID) */
  serviceId: string
  /** the public FHIR base (WORKWELL_BASE_URL) */
  baseUrl: string
  now: Date
}

/**
 * The entries a partnership would register in the NHS BaRS Endpoint Catalogue for this
 * gateway (NHS BaRS: a target is found by its service id in the Endpoint Catalogue, the proxy routes to
 * the Endpoint's address): the Organization that owns the service (the partnership's lead
 * ICB on that date), the HealthcareService named by the gateway's BaRS service id, and the
 * Endpoint, the gateway's $process-message, over FHIR messaging. Pure.
 */
export function catalogueEntries (input: CatalogueInput): Bundle {
  const { partnership: p } = input
  const [system = '', value = ''] = input.serviceId.split('|')
  const organization = partnershipOrganization(p, input.now)
  const endpoint: Endpoint = {
    resourceType: 'Endpoint',
    id: `${p.id}-bars`,
    status: 'active',
    connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-msg' },
    name: `${p.name} (WorkWell Gateway, BaRS)`,
    managingOrganization: { reference: `Organization/${p.id}` },
    payloadType: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'any' }], text: 'BaRS servicerequest-request messages' }],
    payloadMimeType: ['application/fhir+json'],
    address: `${input.baseUrl}/$process-message`
  }
  const service: HealthcareService = {
    resourceType: 'HealthcareService',
    id: p.id,
    identifier: [{ system, value }],
    active: true,
    providedBy: { reference: `Organization/${p.id}` },
    name: `${p.name} referrals`,
    endpoint: [{ reference: `Endpoint/${endpoint.id ?? ''}` }]
  }
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [organization, service, endpoint].map((resource) => ({ fullUrl: `${input.baseUrl}/${resource.resourceType}/${resource.id ?? ''}`, resource }))
  }
}
