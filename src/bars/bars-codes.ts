import { WORKWELL_BASE } from '../fhir/systems.ts'

/** Code systems of the BaRS message envelope (NHS BaRS Core). */
export const BARS_SYSTEMS = {
  messageEvents: 'https://fhir.nhs.uk/CodeSystem/message-events-bars',
  messageReason: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars'
} as const

export const BARS_EVENTS = {
  request: 'servicerequest-request',
  response: 'servicerequest-response'
} as const

export type BarsReason = 'new' | 'update'

/**
 * The MessageDefinitions this gateway publishes. They are WorkWell's own (its canonical base,
 * never an nhs.uk address), following BaRS's pattern: one for a referral (new or update), one
 * for a cancellation (IG Cancellation: a separate definition with a minimal bundle), and one
 * for the response messages the gateway sends.
 */
export const MESSAGE_DEFINITION_URLS = {
  referral: `${WORKWELL_BASE}/MessageDefinition/workwell-bars-servicerequest-request-referral`,
  cancellation: `${WORKWELL_BASE}/MessageDefinition/workwell-bars-servicerequest-request-cancelled`,
  response: `${WORKWELL_BASE}/MessageDefinition/workwell-bars-servicerequest-response`
} as const

/** Major versions of BaRS Core this gateway speaks (Accept: application/fhir+json; version=…). */
export const SUPPORTED_BARS_MAJORS: readonly number[] = [1]

/** Application version of the WorkWell messages (Bundle.meta.versionId): the MessageDefinitions' version. */
export const APPLICATION_VERSION = '1.0.0'

/** ServiceRequest statuses that cancel a referral in a reason=update message (IG Standard-Pattern). */
export const CANCEL_STATUSES: ReadonlySet<string> = new Set(['revoked', 'entered-in-error'])
