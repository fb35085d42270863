import type { Patient, Reference, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { SYSTEMS } from '../fhir/systems.ts'

/**
 * A referral as the pipeline sees it, whichever door it came through: the ServiceRequest and
 * a resolver for the resources it points at (contained ones, or the other entries of a
 * transaction Bundle). `path` gives each resource's FHIRPath in the original request, so
 * findings point at the element the client sent.
 */
export interface ReferralPackage {
  serviceRequest: ServiceRequest
  serviceRequestPath: string
  resolve(reference: Reference | undefined): Located | undefined
}

export interface Located {
  resource: Resource
  path: string
}

/** A package over a ServiceRequest whose Patient and supporting resources are contained. */
export function containedPackage (serviceRequest: ServiceRequest): ReferralPackage {
  const byId = new Map<string, Located>()
  serviceRequest.contained?.forEach((r, i) => {
    if (r.id !== undefined) byId.set(`#${r.id}`, { resource: r, path: `ServiceRequest.contained[${i}]` })
  })
  return {
    serviceRequest,
    serviceRequestPath: 'ServiceRequest',
    resolve: (ref) => (ref?.reference === undefined ? undefined : byId.get(ref.reference))
  }
}

export function resolvePatient (pkg: ReferralPackage): (Located & { resource: Patient }) | undefined {
  const found = pkg.resolve(pkg.serviceRequest.subject)
  if (found?.resource.resourceType !== 'Patient') return undefined
  return { resource: found.resource, path: found.path }
}

/** Task.for for a contained Patient: the NHS number, never a name (logs and Tasks carry ids). */
export function patientByIdentifier (sr: ServiceRequest): Reference {
  const patient = sr.contained?.find((r) => `#${r.id ?? ''}` === sr.subject?.reference)
  const nhs = patient?.resourceType === 'Patient' ? patient.identifier?.find((i) => i.system === SYSTEMS.nhsNumber) : undefined
  return nhs?.value === undefined
    ? { type: 'Patient', display: `Patient contained in ServiceRequest/${sr.id ?? ''}` }
    : { type: 'Patient', identifier: { system: SYSTEMS.nhsNumber, value: nhs.value } }
}
