import type { Resource, ServiceRequest } from '@medplum/fhirtypes'
import { rewriteReferences } from '../fhir/references.ts'

/** Resource types a referral transaction stores beside its ServiceRequest (fhir/transaction-bundle.ts). */
const INLINED = /^(Patient|Observation|Condition|Consent)\/([^/#]+)$/

/**
 * The pure form of what the delivery worker does when it reads a referral that arrived as a
 * transaction Bundle (src/delivery/load-referral.ts): each separately stored resource the
 * ServiceRequest references ("Patient/{id}", …) is put into `contained` under its stored id,
 * without meta.versionId/lastUpdated (R4 dom-4), and references to it become "#id". Mappings
 * then see one shape whichever door the referral came in by. References to resources not in
 * `resources` are left alone. Does not modify its inputs.
 * @param serviceRequest - the stored ServiceRequest
 * @param resources - the stored resources it may reference (any order; others are ignored)
 */
export function inlineStoredResources (serviceRequest: ServiceRequest, resources: Resource[]): ServiceRequest {
  const byRef = new Map(resources.map((r) => [`${r.resourceType}/${r.id ?? ''}`, r]))
  const inlined: Resource[] = []
  const toLocal = new Map<string, string>()
  rewriteReferences(serviceRequest, (ref) => {
    const m = INLINED.exec(ref)
    const stored = byRef.get(ref)
    if (m?.[2] !== undefined && stored !== undefined && !toLocal.has(ref)) {
      inlined.push(asContained(stored, m[2]))
      toLocal.set(ref, `#${m[2]}`)
    }
    return undefined
  })
  if (inlined.length === 0) {
    return serviceRequest
  }
  const rewrite = (ref: string): string | undefined => toLocal.get(ref)
  return {
    ...rewriteReferences(serviceRequest, rewrite),
    contained: [...(serviceRequest.contained ?? []), ...inlined.map((r) => rewriteReferences(r, rewrite))]
  }
}

function asContained (stored: Resource, id: string): Resource {
  const { meta, ...rest } = stored
  const { versionId: _v, lastUpdated: _l, ...keptMeta } = meta ?? {}
  const resource = { ...rest, id } as Resource
  if (Object.keys(keptMeta).length > 0) {
    resource.meta = keptMeta
  }
  return resource
}
