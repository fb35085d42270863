import type { Bundle, OperationOutcomeIssue, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { issue, OperationOutcomeError } from './operation-outcome.ts'
import { rewriteReferences } from './references.ts'
import type { Located, ReferralPackage } from '../referral/referral-package.ts'

/** Resource types a WorkWell referral transaction may create. */
export const TRANSACTION_TYPES = new Set(['ServiceRequest', 'Patient', 'Observation', 'Condition', 'Consent'])

const URN_UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface TransactionEntry {
  index: number
  fullUrl: string
  resource: Resource
  /** id this server assigns */
  id: string
}

export interface ParsedTransaction {
  pkg: ReferralPackage
  entries: TransactionEntry[]
  /** the entries' resources with ids assigned and urn:uuid references rewritten to Type/id */
  resolved: Resource[]
  serviceRequestId: string
  patientId: string
}

/**
 * Checks a referral transaction Bundle (R4 bundle.html bdl-7 unique fullUrl, http.html
 * §3.1.0.11 transaction processing) and turns it into a ReferralPackage. All or nothing:
 * any problem is reported for every offending entry and nothing is stored.
 */
export function parseTransaction (bundle: Bundle, newId: () => string): ParsedTransaction {
  const problems: OperationOutcomeIssue[] = []
  if (bundle.type !== 'transaction') {
    throw new OperationOutcomeError(422, [issue('error', 'invalid', `POST /fhir takes a transaction Bundle, not "${String(bundle.type)}"`, 'Bundle.type')])
  }
  const raw = bundle.entry ?? []
  if (raw.length === 0) {
    throw new OperationOutcomeError(422, [issue('error', 'required', 'The transaction has no entries', 'Bundle.entry')])
  }
  const entries: TransactionEntry[] = []
  const seen = new Map<string, number>()
  raw.forEach((e, index) => {
    const at = `Bundle.entry[${index}]`
    const resource = e.resource
    if (resource === undefined) {
      problems.push(issue('error', 'required', 'Entry has no resource', `${at}.resource`))
      return
    }
    if (!TRANSACTION_TYPES.has(resource.resourceType)) {
      problems.push(issue('error', 'not-supported', `A referral transaction cannot create ${resource.resourceType}`, `${at}.resource`))
    }
    if (e.request?.method !== 'POST' || e.request.url !== resource.resourceType) {
      problems.push(issue('error', 'not-supported', `Only "POST ${resource.resourceType}" entries are accepted`, `${at}.request`))
    }
    const fullUrl = typeof e.fullUrl === 'string' ? e.fullUrl : ''
    if (!URN_UUID.test(fullUrl)) {
      problems.push(issue('error', 'invalid', 'fullUrl must be a urn:uuid: for a resource this transaction creates', `${at}.fullUrl`))
    } else if (seen.has(fullUrl.toLowerCase())) {
      problems.push(issue('error', 'duplicate', `fullUrl repeats entry ${seen.get(fullUrl.toLowerCase())}`, `${at}.fullUrl`))
    } else {
      seen.set(fullUrl.toLowerCase(), index)
    }
    entries.push({ index, fullUrl: fullUrl.toLowerCase(), resource, id: newId() })
  })

  const serviceRequests = entries.filter((e) => e.resource.resourceType === 'ServiceRequest')
  if (serviceRequests.length !== 1) {
    problems.push(issue('error', serviceRequests.length === 0 ? 'required' : 'invalid',
      `A referral transaction holds exactly one ServiceRequest, found ${serviceRequests.length}`, 'Bundle.entry'))
  }
  // First entry wins: a repeated fullUrl is reported above and must not redirect references to it.
  const byUrl = new Map<string, TransactionEntry>()
  for (const e of entries) if (!byUrl.has(e.fullUrl)) byUrl.set(e.fullUrl, e)
  for (const e of entries) {
    rewriteReferences(e.resource, (ref, path) => {
      if (ref.startsWith('urn:uuid:') && !byUrl.has(ref.toLowerCase())) {
        problems.push(issue('error', 'not-found', `Reference ${ref} does not match any entry's fullUrl`, `Bundle.entry[${e.index}].resource${path}`))
      }
      return undefined
    })
  }
  const sr = serviceRequests[0]
  const subject = sr === undefined ? undefined : byUrl.get(((sr.resource as ServiceRequest).subject?.reference ?? '').toLowerCase())
  if (sr !== undefined && subject?.resource.resourceType !== 'Patient') {
    problems.push(issue('error', 'invalid', 'ServiceRequest.subject must reference the Patient entry of this transaction', `Bundle.entry[${sr.index}].resource.subject`))
  }
  if (problems.length > 0 || sr === undefined || subject === undefined) {
    throw new OperationOutcomeError(422, problems)
  }

  const resolved = entries.map((e) => {
    const withRefs = rewriteReferences(e.resource, (ref) => {
      const target = byUrl.get(ref.toLowerCase())
      return target === undefined ? undefined : `${target.resource.resourceType}/${target.id}`
    })
    return { ...withRefs, id: e.id }
  })
  const pkg: ReferralPackage = {
    serviceRequest: sr.resource as ServiceRequest,
    serviceRequestPath: `Bundle.entry[${sr.index}].resource`,
    resolve: (ref): Located | undefined => {
      const target = ref?.reference === undefined ? undefined : byUrl.get(ref.reference.toLowerCase())
      return target === undefined ? undefined : { resource: target.resource, path: `Bundle.entry[${target.index}].resource` }
    }
  }
  return { pkg, entries, resolved, serviceRequestId: sr.id, patientId: subject.id }
}

/** A transaction-response Bundle: one entry per request entry, in order (R4 http.html §3.1.0.11.1). */
export function transactionResponse (resources: Array<{ resourceType: string, id: string, versionId: string, lastUpdated: string }>, id: string): Bundle {
  return {
    resourceType: 'Bundle',
    id,
    type: 'transaction-response',
    entry: resources.map((r) => ({
      response: {
        status: '201 Created',
        location: `${r.resourceType}/${r.id}/_history/${r.versionId}`,
        etag: `W/"${r.versionId}"`,
        lastModified: r.lastUpdated
      }
    }))
  }
}
