import type { CodeSystem } from '@medplum/fhirtypes'
import { SYSTEMS } from '../fhir/systems.ts'
import type { TriageOutcome } from './triage-result.ts'

/**
 * The WorkWell CodeSystem of triage outcomes that Task.businessStatus is coded from. The four
 * codes are the ones the triage engine can return; a test checks the engine's outcomes and this
 * list are the same set, so a new outcome cannot reach a Task uncoded.
 */
export const TRIAGE_OUTCOME_CODE_SYSTEM = {
  resourceType: 'CodeSystem',
  id: 'triage-outcome',
  url: SYSTEMS.triageOutcome,
  name: 'WorkWellTriageOutcome',
  title: 'WorkWell triage outcome',
  status: 'active',
  content: 'complete',
  caseSensitive: true,
  description: 'The outcome of WorkWell triage, carried in Task.businessStatus. Task.status matches it (src/triage/build-task.ts taskStatus).',
  concept: [
    { code: 'eligible-refer', display: 'Eligible: refer to WorkWell', definition: 'Within the partnership\'s criteria: refer to the local WorkWell service (a referral is delivered only with recorded consent).' },
    { code: 'clinical-review', display: 'For clinical review', definition: 'A coded risk indicator (crisis, self-harm, safeguarding, complex health needs) or a partnership exclusion: a clinician at the partnership must act on it; the Task stays requested and urgent, never closed by machine.' },
    { code: 'signpost-only', display: 'Signpost only', definition: 'Outside this service (area, employment criteria or a coded exclusion for review): the Task lists other support.' },
    { code: 'ineligible', display: 'Not eligible', definition: 'Below the minimum age of the service.' },
    { code: 'needs-information', display: 'More information needed', definition: 'Triage cannot decide: Task.statusReason names exactly what is missing.' }
  ]
} as const satisfies CodeSystem & { concept: ReadonlyArray<{ code: TriageOutcome, display: string, definition: string }> }

/** The CodeSystem that types each Task.output: a recommended service or a signpost. */
export const TRIAGE_OUTPUT_CODE_SYSTEM = {
  resourceType: 'CodeSystem',
  id: 'triage-output',
  url: SYSTEMS.triageOutput,
  name: 'WorkWellTriageOutput',
  title: 'WorkWell triage output type',
  status: 'active',
  content: 'complete',
  caseSensitive: true,
  concept: [
    { code: 'recommended-service', display: 'Recommended service', definition: 'A service the local WorkWell offer recommends for this person.' },
    { code: 'signpost', display: 'Signpost', definition: 'Other support the person may use, with how to reach it.' }
  ]
} as const satisfies CodeSystem

/** The display of a triage outcome, from the CodeSystem. */
export function outcomeDisplay (outcome: TriageOutcome): string {
  const concept = TRIAGE_OUTCOME_CODE_SYSTEM.concept.find((c) => c.code === outcome)
  if (concept === undefined) throw new Error(`triage outcome ${outcome} is not in ${SYSTEMS.triageOutcome}`)
  return concept.display
}
