import type { Bundle, BundleEntry, MessageHeader, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { operationOutcome } from '../fhir/operation-outcome.ts'
import type { StoredResource } from '../store/store.ts'
import { APPLICATION_VERSION, BARS_EVENTS, BARS_SYSTEMS, MESSAGE_DEFINITION_URLS } from './bars-codes.ts'

export interface ResponseInput {
  /** Bundle.id of the response */
  id: string
  /** uuids for the fullUrls of the MessageHeader and the OperationOutcome */
  headerId: string
  outcomeId: string
  now: Date
  /** the request Bundle.id the response answers (MessageHeader.response.identifier) */
  requestBundleId: string
  /** where the response goes: the request's source.endpoint */
  destination: string
  /** the gateway's own endpoint */
  source: string
  baseUrl: string
  softwareVersion: string
  task: StoredResource
  serviceRequest?: StoredResource
  warnings?: OperationOutcomeIssue[]
}

function entry (baseUrl: string, stored: StoredResource): BundleEntry {
  return { fullUrl: `${baseUrl}/${stored.resourceType}/${stored.id}`, resource: stored.resource }
}

/**
 * A BaRS servicerequest-response message (NHS BaRS message bundle and status updates): MessageHeader first,
 * response.identifier = the request's Bundle.id and code ok, focus the triage Task, then the
 * Task, the ServiceRequest as stored, and an OperationOutcome when there are warnings. The
 * same shape answers $process-message synchronously and carries later outcomes to the
 * referrer's own $process-message. Pure.
 */
export function responseMessage (input: ResponseInput): Bundle {
  const at = input.now.toISOString()
  const taskRef = `Task/${input.task.id}`
  const header: MessageHeader = {
    resourceType: 'MessageHeader',
    meta: { lastUpdated: at },
    eventCoding: { system: BARS_SYSTEMS.messageEvents, code: BARS_EVENTS.response },
    destination: [{ endpoint: input.destination }],
    source: { name: 'WorkWell Gateway', software: 'WorkWell Gateway', version: input.softwareVersion, endpoint: input.source },
    response: { identifier: input.requestBundleId, code: 'ok' },
    focus: [{ reference: taskRef }],
    definition: MESSAGE_DEFINITION_URLS.response
  }
  const entries: BundleEntry[] = [{ fullUrl: `urn:uuid:${input.headerId}`, resource: header }, entry(input.baseUrl, input.task)]
  if (input.serviceRequest !== undefined) entries.push(entry(input.baseUrl, input.serviceRequest))
  if (input.warnings !== undefined && input.warnings.length > 0) {
    entries.push({ fullUrl: `urn:uuid:${input.outcomeId}`, resource: operationOutcome(input.warnings) as Resource })
  }
  return {
    resourceType: 'Bundle',
    id: input.id,
    meta: { versionId: APPLICATION_VERSION, lastUpdated: at },
    type: 'message',
    timestamp: at,
    entry: entries
  }
}
