import type { TaskOutput } from '@medplum/fhirtypes'
import { WORKWELL_BASE } from '../fhir/systems.ts'

/**
 * What a partnership may add to Task.output. The triage outputs (recommended services and
 * signposts, typed from the triage-output CodeSystem) belong to the gateway; a partnership
 * appends its own, typed from this CodeSystem, so the two never mix.
 */
export const PARTNERSHIP_OUTPUT_SYSTEM = `${WORKWELL_BASE}/CodeSystem/partnership-output`

/** Task.output.type codes from {@link PARTNERSHIP_OUTPUT_SYSTEM}. */
export const PARTNERSHIP_OUTPUT = {
  /** the result of the support, valueCodeableConcept from {@link REFERRAL_OUTCOME_SYSTEM} */
  outcome: 'outcome',
  /** the partnership's own case reference, valueIdentifier or valueString (Task.output.value[x]) */
  partnerReference: 'partner-reference'
} as const

/** The WorkWell outcome a partnership records when it completes a Task. */
export const REFERRAL_OUTCOME_SYSTEM = `${WORKWELL_BASE}/CodeSystem/referral-outcome`

/** Codes of {@link REFERRAL_OUTCOME_SYSTEM} with their displays. */
export const REFERRAL_OUTCOMES: Readonly<Record<string, string>> = {
  'stayed-in-work': 'Stayed in work',
  'returned-to-work': 'Returned to work after absence',
  'started-work': 'Started work',
  'not-in-work': 'Support ended; not in work',
  'referred-onward': 'Referred on to another service',
  disengaged: 'Stopped engaging with support'
}

function codings (value: unknown): Array<{ system?: unknown, code?: unknown }> {
  if (value === null || typeof value !== 'object') return []
  const coding = (value as { coding?: unknown }).coding
  return Array.isArray(coding) ? coding.filter((c): c is { system?: unknown, code?: unknown } => c !== null && typeof c === 'object') : []
}

/** The partnership-output type code of an output, when it has one. */
export function partnershipOutputType (output: TaskOutput): string | undefined {
  const code = codings(output.type).find((c) => c.system === PARTNERSHIP_OUTPUT_SYSTEM)?.code
  return typeof code === 'string' ? code : undefined
}

/** true when the output is a partnership outcome coded from the WorkWell referral-outcome CodeSystem. */
export function isOutcomeOutput (output: TaskOutput): boolean {
  return partnershipOutputType(output) === PARTNERSHIP_OUTPUT.outcome &&
    codings(output.valueCodeableConcept).some((c) => c.system === REFERRAL_OUTCOME_SYSTEM && typeof c.code === 'string' && Object.hasOwn(REFERRAL_OUTCOMES, c.code))
}
