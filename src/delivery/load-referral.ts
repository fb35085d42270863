import type { Resource, ServiceRequest } from '@medplum/fhirtypes'
import { rewriteReferences } from '../fhir/references.ts'
import type { MapInput } from '../mapping/mapping.ts'
import type { ResourceStore } from '../store/resource-store.ts'

/** Resource types a referral transaction stores beside its ServiceRequest (fhir/transaction-bundle.ts). */
const INLINED = /^(Patient|Observation|Condition|Consent)\/([^/#]+)$/

/** The referral to map, or why it cannot be read. */
export type LoadedReferral = ({ ok: true } & MapInput) | { ok: false, reason: string }

/**
 * Reads a referral for delivery. A referral that arrived as a transaction Bundle is stored as
 * separate resources (ServiceRequest.subject = "Patient/{id}"); those the ServiceRequest
 * references are read and put back into `contained` (under their stored ids, references
 * rewritten to "#id"), so that mappings see one shape whichever door the referral came in by.
 * @param store - where the referral is stored
 * @param serviceRequestId - the outbox row's ServiceRequest
 * @param taskId - the outbox row's Task
 */
export async function loadReferral (store: Pick<ResourceStore, 'readResource'>, serviceRequestId: string, taskId: string): Promise<LoadedReferral> {
  const sr = await store.readResource('ServiceRequest', serviceRequestId)
  if (sr?.resource.resourceType !== 'ServiceRequest') {
    return { ok: false, reason: `ServiceRequest/${serviceRequestId} not found` }
  }
  const task = await store.readResource('Task', taskId)
  if (task?.resource.resourceType !== 'Task') {
    return { ok: false, reason: `Task/${taskId} not found` }
  }
  return { ok: true, serviceRequest: await inlineReferenced(store, sr.resource), task: task.resource }
}

async function inlineReferenced (store: Pick<ResourceStore, 'readResource'>, serviceRequest: ServiceRequest): Promise<ServiceRequest> {
  const wanted = new Map<string, { type: string, id: string }>()
  rewriteReferences(serviceRequest, (ref) => {
    const m = INLINED.exec(ref)
    if (m?.[1] !== undefined && m[2] !== undefined) {
      wanted.set(ref, { type: m[1], id: m[2] })
    }
    return undefined
  })
  if (wanted.size === 0) {
    return serviceRequest
  }
  const inlined: Resource[] = []
  const toLocal = new Map<string, string>()
  for (const [ref, { type, id }] of wanted) {
    const stored = await store.readResource(type, id)
    if (stored !== undefined) {
      // contained resources SHALL NOT carry meta.versionId or meta.lastUpdated (R4 dom-4)
      const { meta, ...rest } = stored.resource
      const { versionId: _v, lastUpdated: _l, ...keptMeta } = meta ?? {}
      const resource = { ...rest, id } as Resource
      if (Object.keys(keptMeta).length > 0) {
        resource.meta = keptMeta
      }
      inlined.push(resource)
      toLocal.set(ref, `#${id}`)
    }
  }
  const rewrite = (ref: string): string | undefined => toLocal.get(ref)
  return {
    ...rewriteReferences(serviceRequest, rewrite),
    contained: [...(serviceRequest.contained ?? []), ...inlined.map((r) => rewriteReferences(r, rewrite))]
  }
}
