import type { Bundle, MessageHeader, OperationOutcomeIssue, ServiceRequest } from '@medplum/fhirtypes'
import { issue, OperationOutcomeError } from '../fhir/operation-outcome.ts'
import { APPLICATION_VERSION, BARS_EVENTS, BARS_SYSTEMS, CANCEL_STATUSES, MESSAGE_DEFINITION_URLS, type BarsReason } from './bars-codes.ts'
import { gatewayService, serviceById, type BarsService } from './bars-services.ts'
import { acceptedDefinitions, checkMessageDefinition, messageDefinitionByUrl, serviceDefinition } from './message-definitions.ts'

const HEADER = 'Bundle.entry[0].resource'
const ENDPOINT = /^[a-z][a-z0-9+.-]*:\S+\|\S+$/i

/** A BaRS request message, its envelope checked (NHS BaRS $process-message: MessageHeader first). */
export interface BarsMessage {
  bundle: Bundle
  /** Bundle.id: kept by the sender across messages about one referral; responses point at it */
  bundleId: string
  header: MessageHeader
  reason: BarsReason
  /** true when the message cancels the referral (reason update, status revoked or entered-in-error) */
  cancels: boolean
  definition: string
  /** MessageHeader.source.endpoint: the sender's own endpoint, as it names itself */
  sourceEndpoint: string
  /**
   * the catalogue endpoint responses go to (endpoint-catalogue.ts responseEndpointFor), set
   * once the route has looked it up; the source endpoint when absent
   */
  responseEndpoint?: string
  /** index of the focus ServiceRequest in Bundle.entry */
  focusIndex: number
  serviceRequest: ServiceRequest
  /** the offered service MessageHeader.destination names */
  service: BarsService
}

function codeOf (coding: { system?: string, code?: string } | undefined, system: string): string | undefined {
  return coding?.system === system ? coding.code : undefined
}

/**
 * Checks a $process-message body as a BaRS servicerequest-request and says what it asks for.
 * Pure. The order of the checks decides the answer:
 * - not a message Bundle with a MessageHeader first, or no Bundle.id: 400 REC_BAD_REQUEST;
 * - another event (a booking, a response): 422 REC_UNPROCESSABLE_ENTITY, whatever the rest
 *   of that message holds, since this gateway takes referrals only;
 * - no reason, source endpoint or ServiceRequest focus: 400 (the envelope is broken);
 * - a destination naming a service id the gateway does not offer: 404 REC_NOT_FOUND, as the
 *   BaRS proxy answers a target it cannot find (never taken by another service);
 * - a BaRS referral this gateway does not take (a definition the named service does not
 *   accept, not exactly one destination, an application version it does not speak): 422,
 *   saying which;
 * - workflow variables that combine into no known workflow (IG Standard-Pattern pseudo-code):
 *   400 REC_BAD_REQUEST, issue code invariant;
 * - resources the MessageDefinition does not allow, or too many or too few: 422.
 * @param offered - the services the gateway offers (bars-services.ts), or just its own
 *   "system|value"; destination[0].endpoint must name one
 */
export function readMessage (body: unknown, offered: string | readonly BarsService[]): BarsMessage {
  const services = typeof offered === 'string' ? [gatewayService(offered)] : offered
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new OperationOutcomeError(400, [issue('error', 'structure', 'The body must be a FHIR Bundle (type message) JSON object', 'Bundle')])
  }
  const bundle = body as Bundle
  const bad: OperationOutcomeIssue[] = []
  if (bundle.resourceType !== 'Bundle') {
    throw new OperationOutcomeError(400, [issue('error', 'invalid', `$process-message takes a Bundle, got ${typeof bundle.resourceType === 'string' ? bundle.resourceType : 'no resourceType'}`, 'Bundle.resourceType')])
  }
  if (bundle.type !== 'message') bad.push(issue('error', 'invalid', `$process-message takes a Bundle of type message, not "${String(bundle.type)}"`, 'Bundle.type'))
  if (typeof bundle.id !== 'string' || bundle.id === '') bad.push(issue('error', 'required', 'Bundle.id is required: the sender sets it, and responses point at it (MessageHeader.response.identifier)', 'Bundle.id'))
  const header = bundle.entry?.[0]?.resource
  if (header?.resourceType !== 'MessageHeader') {
    bad.push(issue('error', 'required', 'The first entry of a message Bundle must be its MessageHeader', HEADER))
    throw new OperationOutcomeError(400, bad)
  }
  if (bad.length > 0) throw new OperationOutcomeError(400, bad)
  // another event is a BaRS message this gateway does not take, whatever else it holds: 422
  const event = codeOf(header.eventCoding, BARS_SYSTEMS.messageEvents)
  if (event !== BARS_EVENTS.request) {
    throw new OperationOutcomeError(422, [issue('error', 'not-supported',
      `This gateway takes WorkWell referrals only: eventCoding ${BARS_SYSTEMS.messageEvents}#${BARS_EVENTS.request}, not ${header.eventCoding?.system ?? '(no system)'}#${header.eventCoding?.code ?? '(no code)'}`, `${HEADER}.eventCoding`)])
  }
  const reasonCode = header.reason?.coding?.map((c) => codeOf(c, BARS_SYSTEMS.messageReason)).find((c) => c !== undefined)
  if (reasonCode === undefined) bad.push(issue('error', 'required', `MessageHeader.reason needs a code from ${BARS_SYSTEMS.messageReason} (new or update)`, `${HEADER}.reason`))
  const source = header.source?.endpoint
  if (typeof source !== 'string' || !ENDPOINT.test(source)) {
    bad.push(issue('error', source === undefined ? 'required' : 'value', 'MessageHeader.source.endpoint must be the sender\'s own endpoint as "system|value"; responses are sent there', `${HEADER}.source.endpoint`))
  }
  const focusRef = header.focus?.length === 1 ? header.focus[0]?.reference : undefined
  const focusIndex = focusRef === undefined ? -1 : (bundle.entry ?? []).findIndex((e) => e.fullUrl !== undefined && e.fullUrl.toLowerCase() === focusRef.toLowerCase())
  const focused = bundle.entry?.[focusIndex]?.resource
  if (focused?.resourceType !== 'ServiceRequest') {
    bad.push(issue('error', 'invalid', 'MessageHeader.focus must be one reference to the fullUrl of the ServiceRequest entry', `${HEADER}.focus`))
  }
  if (bad.length > 0 || focused?.resourceType !== 'ServiceRequest') throw new OperationOutcomeError(400, bad)

  const destination = header.destination?.[0]?.endpoint
  const service = destination === undefined ? undefined : serviceById(services, destination)
  if (header.destination?.length === 1 && destination !== undefined && service === undefined) {
    throw new OperationOutcomeError(404, [issue('error', 'not-found',
      `MessageHeader.destination names ${destination}, a service id this gateway does not offer (${services.map((s) => s.serviceId).join(', ')})`, `${HEADER}.destination`)])
  }
  const unsupported: OperationOutcomeIssue[] = []
  const definition = header.definition ?? ''
  const accepted = acceptedDefinitions(service ?? services[0] ?? gatewayService(''))
  if (!accepted.has(definition.split('|')[0] ?? '')) {
    unsupported.push(issue('error', 'not-supported',
      `MessageHeader.definition ${definition === '' ? '(absent)' : definition} is not a MessageDefinition ${service === undefined ? 'this gateway' : service.serviceId} accepts; GET /fhir/MessageDefinition?context=<service id> lists them (${[...accepted].join(', ')})`, `${HEADER}.definition`))
  }
  if (header.destination?.length !== 1 || service === undefined) {
    unsupported.push(issue('error', 'not-supported', `MessageHeader.destination must be one service of this gateway (${services.map((s) => s.serviceId).join(', ')}), not ${destination ?? '(none)'}`, `${HEADER}.destination`))
  }
  const version = bundle.meta?.versionId
  if (version !== undefined && version.split('.')[0] !== APPLICATION_VERSION.split('.')[0]) {
    unsupported.push(issue('error', 'not-supported', `Bundle.meta.versionId ${version} is not an application version this gateway supports (${APPLICATION_VERSION})`, 'Bundle.meta.versionId'))
  }
  if (unsupported.length > 0 || service === undefined) throw new OperationOutcomeError(422, unsupported)

  const reason = reasonCode as string
  const serviceRequest = focused
  const status = serviceRequest.status
  const cancels = reason === 'update' && CANCEL_STATUSES.has(status)
  const cancelDefinition = definition.split('|')[0] === MESSAGE_DEFINITION_URLS.cancellation
  const known = (reason === 'new' && status === 'active' && !cancelDefinition) ||
    (reason === 'update' && status === 'active' && !cancelDefinition) ||
    (cancels && cancelDefinition)
  if (!known) {
    throw new OperationOutcomeError(400, [issue('error', 'invariant',
      `reason ${reason}, ServiceRequest.status ${status} and definition ${definition} make no workflow this gateway knows: new needs status active; update needs active (a change, with ${MESSAGE_DEFINITION_URLS.referral}) or revoked/entered-in-error (a cancellation, with ${MESSAGE_DEFINITION_URLS.cancellation})`,
      [`${HEADER}.reason`, `Bundle.entry[${focusIndex}].resource.status`])])
  }
  const def = definition.split('|')[0] === service.definitionUrl ? serviceDefinition(service) : messageDefinitionByUrl(definition)
  const cardinality = def === undefined ? [] : checkMessageDefinition(bundle, def)
  if (cardinality.length > 0) throw new OperationOutcomeError(422, cardinality)

  return {
    bundle,
    bundleId: bundle.id as string,
    header,
    reason: reason === 'new' ? 'new' : 'update',
    cancels,
    definition,
    sourceEndpoint: source as string,
    focusIndex,
    serviceRequest,
    service
  }
}
