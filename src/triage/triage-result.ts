import type { LocalService } from './rules.ts'

/** What triage decided, and why: every output names the rule that produced it. */
export type TriageOutcome = 'eligible-refer' | 'signpost-only' | 'ineligible' | 'needs-information'

export interface TriageOutput {
  kind: 'service' | 'signpost'
  code: string
  display: string
  /** rule id, e.g. "baseline/in-work-adjustments" */
  rule: string
  reason: string
  /** the partnership's (or a national) service that provides it, and how to reach it */
  local?: LocalService
}

export interface TriageResult {
  outcome: TriageOutcome
  priority: 'routine' | 'urgent'
  /** a referral (intent order) rather than advice-only triage (a proposal or plan) */
  referral: boolean
  outputs: TriageOutput[]
  /** what must be supplied before triage can decide (needs-information) */
  missing: Array<{ what: string, expression: string }>
  /** short reasons for the outcome itself, each naming its rule */
  reasons: string[]
  rulesVersion: string
  /** plain-English summary a clinician can read to the patient */
  summary: string
}
