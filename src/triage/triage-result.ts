/** What triage decided, and why: every output names the rule that produced it. */
export type TriageOutcome = 'eligible-refer' | 'signpost-only' | 'ineligible' | 'needs-information'

export interface TriageOutput {
  kind: 'service' | 'signpost'
  code: string
  display: string
  /** rule id, e.g. "in-work/workplace-adjustments" */
  rule: string
  reason: string
}

export interface TriageResult {
  outcome: TriageOutcome
  priority: 'routine' | 'urgent'
  outputs: TriageOutput[]
  /** what must be supplied before triage can decide (needs-information) */
  missing: Array<{ what: string, expression: string }>
  /** short reasons for the outcome itself */
  reasons: string[]
  rulesVersion: string
  /** plain-English summary a clinician can read to the patient */
  summary: string
}
