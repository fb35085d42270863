import type { Bundle, Identifier, MessageDefinition, MessageDefinitionFocus, OperationOutcomeIssue, UsageContext } from '@medplum/fhirtypes'
import type { BarsService } from './bars-services.ts'
import { issue } from '../fhir/operation-outcome.ts'
import { WORKWELL_BASE } from '../fhir/systems.ts'
import { WORKWELL_REFERRAL_PROFILE } from '../validation/profiles.ts'
import { APPLICATION_VERSION, BARS_EVENTS, BARS_SYSTEMS, MESSAGE_DEFINITION_URLS } from './bars-codes.ts'

const profile = (name: string): string => `${WORKWELL_BASE}/StructureDefinition/WorkWell-${name}`

const focus = (code: string, min: number, max: string, profileUrl?: string): MessageDefinitionFocus =>
  ({ code: code as MessageDefinitionFocus['code'], min, max, ...(profileUrl === undefined ? {} : { profile: profileUrl }) })

function definition (id: string, url: string, title: string, description: string, event: string, foci: MessageDefinitionFocus[], extra: Partial<MessageDefinition> = {}): MessageDefinition {
  return {
    resourceType: 'MessageDefinition',
    id,
    url,
    version: APPLICATION_VERSION,
    name: title.replace(/[^A-Za-z0-9]/g, ''),
    title,
    status: 'active',
    date: '2026-11-30',
    publisher: 'WorkWell Gateway',
    description,
    eventCoding: { system: BARS_SYSTEMS.messageEvents, code: event },
    category: 'consequence',
    focus: foci,
    ...extra
  }
}

/**
 * What the gateway accepts and sends as BaRS messages. `focus` lists every resource type a
 * message may carry with its min/max: BaRS leaves this cardinality to the receiver's business
 * logic (IG Message-Headers: "not checked as part of FHIR validation"), so checkMessageDefinition
 * enforces it. The referral carries exactly what a WorkWell referral transaction may create
 * (fhir/transaction-bundle.ts TRANSACTION_TYPES).
 */
export const MESSAGE_DEFINITIONS: readonly MessageDefinition[] = [
  definition('workwell-bars-servicerequest-request-referral', MESSAGE_DEFINITION_URLS.referral,
    'WorkWell BaRS referral request',
    'A WorkWell referral as a BaRS servicerequest-request message (reason new, or update for a change to an active referral).',
    BARS_EVENTS.request,
    [
      focus('MessageHeader', 1, '1'),
      focus('ServiceRequest', 1, '1', WORKWELL_REFERRAL_PROFILE),
      focus('Patient', 1, '1', profile('Patient')),
      focus('Observation', 0, '*'),
      focus('Condition', 0, '*'),
      focus('Consent', 0, '*', profile('ReferralConsent'))
    ],
    { responseRequired: 'always', allowedResponse: [{ message: MESSAGE_DEFINITION_URLS.response }] }),
  definition('workwell-bars-servicerequest-request-cancelled', MESSAGE_DEFINITION_URLS.cancellation,
    'WorkWell BaRS referral cancellation',
    'Cancels an active WorkWell referral: reason update, ServiceRequest.status revoked or entered-in-error, reasonCode.text saying why (BaRS IG Cancellation).',
    BARS_EVENTS.request,
    [
      focus('MessageHeader', 1, '1'),
      focus('ServiceRequest', 1, '1'),
      focus('Patient', 0, '1')
    ],
    { responseRequired: 'always', allowedResponse: [{ message: MESSAGE_DEFINITION_URLS.response }] }),
  definition('workwell-bars-servicerequest-response', MESSAGE_DEFINITION_URLS.response,
    'WorkWell BaRS referral response',
    'The gateway\'s answer to a referral: the triage Task (its status follows the partnership\'s progress), the ServiceRequest as stored, and an OperationOutcome when there are warnings.',
    BARS_EVENTS.response,
    [
      focus('MessageHeader', 1, '1'),
      focus('Task', 1, '1', profile('TriageTask')),
      focus('ServiceRequest', 0, '1'),
      focus('OperationOutcome', 0, '1')
    ])
]

/** The definitions a sender may claim in MessageHeader.definition. */
export const ACCEPTED_DEFINITIONS: ReadonlySet<string> = new Set([MESSAGE_DEFINITION_URLS.referral, MESSAGE_DEFINITION_URLS.cancellation])

export function messageDefinitionByUrl (url: string): MessageDefinition | undefined {
  const bare = url.split('|')[0]
  return MESSAGE_DEFINITIONS.find((d) => d.url === bare)
}

/** usage-context-type "workflow": the service a definition is for (R4 UsageContext, searched as `context`). */
const SERVICE_CONTEXT = { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'workflow' }

/** A service id as a UsageContext and as an Identifier ("system|value"). */
function serviceContext (serviceId: string): UsageContext {
  const [system = '', code = ''] = serviceId.split('|')
  return { code: SERVICE_CONTEXT, valueCodeableConcept: { coding: [{ system, code }] } }
}

function serviceIdentifier (serviceId: string): Identifier {
  const [system = '', value = ''] = serviceId.split('|')
  return { system, value }
}

/**
 * The servicerequest-request definition of one offered service: what its messages carry, the
 * ServiceRequest held to the profile of its kind (a WorkWell referral, or a fit-note triage
 * request), and the service id as its identifier and its use context, as BaRS senders find a
 * receiver's definitions (GET /MessageDefinition?context=<service id>). The gateway's own
 * service id keeps the shared referral definition. Pure.
 */
export function serviceDefinition (service: BarsService): MessageDefinition {
  const shared = MESSAGE_DEFINITIONS[0] as MessageDefinition
  const base = service.definitionUrl === shared.url
    ? shared
    : definition(service.definitionId, service.definitionUrl, `${service.name} BaRS request`,
      `A ${service.kind === 'fit-note-triage' ? 'fit-note triage request' : 'WorkWell referral'} to ${service.name} (BaRS service id ${service.serviceId}) as a BaRS servicerequest-request message (reason new, or update for a change to an active referral).`,
      BARS_EVENTS.request,
      (shared.focus ?? []).map((f) => (f.code === 'ServiceRequest' ? { ...f, profile: service.profile } : f)),
      { responseRequired: 'always', allowedResponse: [{ message: MESSAGE_DEFINITION_URLS.response }] })
  return { ...base, identifier: [serviceIdentifier(service.serviceId)], useContext: [serviceContext(service.serviceId)] }
}

/**
 * Every MessageDefinition the gateway publishes for these services: each service's request
 * definition, the cancellation (taken by every service, so in each one's context) and the
 * response it sends. Pure.
 */
export function discoveryDefinitions (services: readonly BarsService[]): MessageDefinition[] {
  const [, cancellation, response] = MESSAGE_DEFINITIONS as [MessageDefinition, MessageDefinition, MessageDefinition]
  return [
    ...services.map(serviceDefinition),
    { ...cancellation, useContext: services.map((s) => serviceContext(s.serviceId)) },
    response
  ]
}

/** The definitions a message to this service may claim: its own request definition and the cancellation. */
export function acceptedDefinitions (service: BarsService): ReadonlySet<string> {
  return new Set([service.definitionUrl, MESSAGE_DEFINITION_URLS.cancellation])
}

/**
 * Checks which resources a message Bundle carries, and how many, against its
 * MessageDefinition. One issue per type that is not allowed or out of its range. Pure.
 */
export function checkMessageDefinition (bundle: Bundle, def: MessageDefinition): OperationOutcomeIssue[] {
  const counts = new Map<string, number[]>()
  bundle.entry?.forEach((e, i) => {
    const type = e.resource?.resourceType
    if (typeof type === 'string') counts.set(type, [...(counts.get(type) ?? []), i])
  })
  const issues: OperationOutcomeIssue[] = []
  const allowed = new Set((def.focus ?? []).map((f) => f.code))
  for (const [type, at] of counts) {
    if (!allowed.has(type as MessageDefinitionFocus['code'])) {
      issues.push(issue('error', 'business-rule', `${def.url ?? ''} does not carry ${type}; it allows ${[...allowed].join(', ')}`, at.map((i) => `Bundle.entry[${i}].resource`)))
    }
  }
  for (const f of def.focus ?? []) {
    const at = counts.get(f.code) ?? []
    const max = f.max === '*' || f.max === undefined ? Number.POSITIVE_INFINITY : Number(f.max)
    if (at.length < f.min) {
      issues.push(issue('error', 'business-rule', `${def.url ?? ''} needs at least ${f.min} ${f.code}, found ${at.length}`, 'Bundle.entry'))
    } else if (at.length > max) {
      issues.push(issue('error', 'business-rule', `${def.url ?? ''} allows at most ${f.max ?? ''} ${f.code}, found ${at.length}`, at.slice(max).map((i) => `Bundle.entry[${i}].resource`)))
    }
  }
  return issues
}

/** The CapabilityStatement's messaging.supportedMessage for these definitions: requests received, responses sent. Pure. */
export function supportedMessages (definitions: readonly MessageDefinition[]): Array<{ mode: 'sender' | 'receiver', definition: string }> {
  return definitions.map((d) => ({ mode: d.eventCoding?.code === BARS_EVENTS.response ? 'sender' as const : 'receiver' as const, definition: d.url ?? '' }))
}
