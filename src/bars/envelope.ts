import type { MessageHeader, Resource } from '@medplum/fhirtypes'
import { WORKWELL_BASE } from '../fhir/systems.ts'
import { nameUuid } from '../mapping/name-uuid.ts'
import type { BarsMessage } from './message-bundle.ts'

export const ENVELOPE_EXTENSIONS = {
  messageId: `${WORKWELL_BASE}/StructureDefinition/bars-message-id`,
  correlationId: `${WORKWELL_BASE}/StructureDefinition/bars-correlation-id`,
  responseEndpoint: `${WORKWELL_BASE}/StructureDefinition/bars-response-endpoint`
} as const

/** What the gateway keeps of a referral's BaRS envelope to answer and update it later. */
export interface Envelope {
  /** the request Bundle.id: MessageHeader.response.identifier of every response */
  bundleId: string
  /** the sender's source endpoint, "system|value": responses go there */
  sourceEndpoint: string
  /** X-Correlation-Id of the conversation: kept on every later message (IG Transactional-integrity) */
  correlationId: string
  /**
   * the catalogue endpoint response messages go to: the source endpoint, or the one the
   * catalogue registers for the sender's ODS code when the source is not in it
   */
  responseEndpoint: string
  /** the gateway's service the message was sent to (MessageHeader.destination): later responses come from it */
  serviceId?: string
}

/**
 * The id of the ServiceRequest a BaRS referral is stored under: a name-based UUID of the
 * authenticated sender, its endpoint and its Bundle.id, which BaRS keeps across every message
 * about one referral. An update or cancellation finds its referral by it, without a second
 * index; another client's message with the same endpoint and Bundle.id names another id, so
 * it can neither reach nor learn of this sender's referral.
 *
 * @param sender - the authenticated client (access-policy.ts senderId)
 */
export function referralIdFor (sender: string, sourceEndpoint: string, bundleId: string): string {
  return nameUuid(`bars-referral|${sender}|${sourceEndpoint}|${bundleId}`)
}

/**
 * The request's MessageHeader as the gateway stores it beside the referral, under the
 * ServiceRequest's id (BaRS: the receiver stores source.endpoint for its async replies).
 * Ids, codes and endpoints only: source.contact (a phone number) is left out.
 */
export function envelopeRecord (message: BarsMessage, serviceRequestId: string, correlationId: string): MessageHeader {
  const { header } = message
  const source = header.source ?? { endpoint: message.sourceEndpoint }
  return {
    resourceType: 'MessageHeader',
    id: serviceRequestId,
    extension: [
      { url: ENVELOPE_EXTENSIONS.messageId, valueString: message.bundleId },
      { url: ENVELOPE_EXTENSIONS.correlationId, valueString: correlationId },
      ...(message.responseEndpoint === undefined || message.responseEndpoint === message.sourceEndpoint
        ? []
        : [{ url: ENVELOPE_EXTENSIONS.responseEndpoint, valueString: message.responseEndpoint }])
    ],
    eventCoding: header.eventCoding ?? {},
    ...(header.reason === undefined ? {} : { reason: header.reason }),
    destination: (header.destination ?? []).map((d) => ({ endpoint: d.endpoint })),
    source: {
      endpoint: message.sourceEndpoint,
      ...(source.name === undefined ? {} : { name: source.name }),
      ...(source.software === undefined ? {} : { software: source.software }),
      ...(source.version === undefined ? {} : { version: source.version })
    },
    focus: [{ reference: `ServiceRequest/${serviceRequestId}` }],
    ...(header.definition === undefined ? {} : { definition: header.definition })
  }
}

/** The envelope of a stored record, or undefined when it is not one (a referral from another door). */
export function readEnvelope (resource: Resource | undefined): Envelope | undefined {
  if (resource?.resourceType !== 'MessageHeader') return undefined
  const ext = (url: string): string | undefined => resource.extension?.find((e) => e.url === url)?.valueString
  const bundleId = ext(ENVELOPE_EXTENSIONS.messageId)
  const correlationId = ext(ENVELOPE_EXTENSIONS.correlationId)
  const sourceEndpoint = resource.source?.endpoint
  if (bundleId === undefined || correlationId === undefined || sourceEndpoint === undefined) return undefined
  const serviceId = resource.destination?.[0]?.endpoint
  return { bundleId, sourceEndpoint, correlationId, responseEndpoint: ext(ENVELOPE_EXTENSIONS.responseEndpoint) ?? sourceEndpoint, ...(serviceId === undefined ? {} : { serviceId }) }
}
