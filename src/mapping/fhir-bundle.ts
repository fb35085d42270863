import type { Bundle, BundleEntry, Resource, ServiceRequest, Task } from '@medplum/fhirtypes'
import { rewriteReferences } from '../fhir/references.ts'
import { nameUuid } from './name-uuid.ts'
import { claimUkCoreProfile } from './uk-core-profiles.ts'

/**
 * Builds the FHIR R4 `collection` Bundle delivered to fhir-bundle partnerships: the
 * ServiceRequest, each of its contained resources lifted into an entry of its own, then the
 * Task. Every entry has a name-based `urn:uuid:` fullUrl (stable across retries), and
 * references are rewritten to those fullUrls so they resolve within the Bundle:
 * - inside the ServiceRequest and the lifted resources: "#id" and "#" (the container);
 * - inside the Task: "ServiceRequest/{id}", "ServiceRequest/{id}#local", and "Type/id" of a
 *   lifted resource (the delivery worker inlines separately stored Patients under their ids).
 * The ServiceRequest and Task keep their gateway ids: a partnership needs the Task id to
 * update the referral's lifecycle. Each resource of a type UK Core profiles (Patient,
 * ServiceRequest, Observation, Condition, …) also claims that UK Core profile, after the
 * WorkWell profiles it already claims (see uk-core-profiles.ts).
 * @param serviceRequest - as stored (not modified)
 * @param task - as stored (not modified)
 */
export function buildDeliveryBundle (serviceRequest: ServiceRequest, task: Task): Bundle {
  const srId = serviceRequest.id ?? ''
  const srRef = `ServiceRequest/${srId}`
  const srUrl = `urn:uuid:${nameUuid(srRef)}`
  const taskUrl = `urn:uuid:${nameUuid(`Task/${task.id ?? ''}`)}`

  const { contained = [], ...bare } = serviceRequest
  const local = new Map<string, string>([['#', srUrl]])
  const fromTask = new Map<string, string>([[srRef, srUrl]])
  const lifted = contained.map((resource, index) => {
    // a contained resource without an id cannot be referenced; its index keeps its UUID unique
    const localId = resource.id ?? `index-${index}`
    const fullUrl = `urn:uuid:${nameUuid(`${srRef}#${localId}`)}`
    local.set(`#${localId}`, fullUrl)
    fromTask.set(`${srRef}#${localId}`, fullUrl)
    fromTask.set(`${resource.resourceType}/${localId}`, fullUrl)
    // a contained id means nothing outside its container; the fullUrl now identifies it
    const { id: _localId, ...rest } = resource
    return { fullUrl, resource: rest as Resource }
  })

  const entries: BundleEntry[] = [
    { fullUrl: srUrl, resource: claimUkCoreProfile(rewriteReferences(bare, (ref) => local.get(ref))) },
    ...lifted.map((e) => ({ fullUrl: e.fullUrl, resource: claimUkCoreProfile(rewriteReferences(e.resource, (ref) => local.get(ref))) })),
    { fullUrl: taskUrl, resource: claimUkCoreProfile(rewriteReferences(task, (ref) => fromTask.get(ref))) }
  ]
  return { resourceType: 'Bundle', type: 'collection', entry: entries }
}
