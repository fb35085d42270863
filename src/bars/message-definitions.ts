import type { Bundle, MessageDefinition, MessageDefinitionFocus, OperationOutcomeIssue } from '@medplum/fhirtypes'
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
