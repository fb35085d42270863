import type { Bundle, Endpoint, HealthcareService, Organization } from '@medplum/fhirtypes'
import { SYSTEMS } from '../fhir/systems.ts'
import type { BarsService } from '../bars/bars-services.ts'
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
  /**
   * the BaRS services to register for it: its own (partnership.json barsServices), else the
   * gateway's service id (WORKWELL_BARS_SERVICE_ID) alone (catalogueServices)
   */
  services: readonly BarsService[]
  /** the public FHIR base (WORKWELL_BASE_URL) */
  baseUrl: string
  now: Date
}

/** The services a partnership registers: its own BaRS service ids, else the gateway's. Pure. */
export function catalogueServices (partnership: Partnership, offered: readonly BarsService[]): BarsService[] {
  const own = offered.filter((s) => s.partnershipId === partnership.id)
  const gateway = offered.filter((s) => s.partnershipId === undefined)
  return own.length > 0 ? own : gateway
}

/**
 * The entries a partnership would register in the NHS BaRS Endpoint Catalogue for this
 * gateway (NHS BaRS: a target is found by its service id in the Endpoint Catalogue, the proxy
 * routes to the Endpoint's address): the Organization that owns the services (the
 * partnership's lead ICB on that date), then for each BaRS service id a HealthcareService
 * named by it and its Endpoint, the gateway's $process-message over FHIR messaging, whose
 * payload is that service's MessageDefinition. Pure.
 */
export function catalogueEntries (input: CatalogueInput): Bundle {
  const { partnership: p } = input
  const organization = partnershipOrganization(p, input.now)
  const perService = input.services.flatMap((s): [HealthcareService, Endpoint] => {
    const [system = '', value = ''] = s.serviceId.split('|')
    // the gateway's own id keeps the ids it always had; a partnership's services are told apart by kind
    const id = s.partnershipId === undefined ? p.id : `${p.id}-${s.kind}`
    const name = s.partnershipId === undefined ? `${p.name} referrals` : s.name
    const endpoint: Endpoint = {
      resourceType: 'Endpoint',
      id: `${id}-bars`,
      identifier: [{ system, value }],
      status: 'active',
      connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-msg' },
      name: `${name} (WorkWell Gateway, BaRS)`,
      managingOrganization: { reference: `Organization/${p.id}` },
      payloadType: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'any' }], text: `BaRS servicerequest-request messages (${s.definitionUrl})` }],
      payloadMimeType: ['application/fhir+json'],
      address: `${input.baseUrl}/$process-message`
    }
    const service: HealthcareService = {
      resourceType: 'HealthcareService',
      id,
      identifier: [{ system, value }],
      active: true,
      providedBy: { reference: `Organization/${p.id}` },
      name,
      endpoint: [{ reference: `Endpoint/${endpoint.id ?? ''}` }]
    }
    return [service, endpoint]
  })
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [organization, ...perService].map((resource) => ({ fullUrl: `${input.baseUrl}/${resource.resourceType}/${resource.id ?? ''}`, resource }))
  }
}
