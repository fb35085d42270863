import type { LocalService } from './rules.ts'

/** What triage decided, and why: every output names the rule that produced it. */
export type TriageOutcome = 'eligible-refer' | 'clinical-review' | 'signpost-only' | 'ineligible' | 'needs-information'

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
  /**
   * what a clinician at the partnership must act on, when the Task is left for one: a coded
   * risk or exclusion (clinical-review), or a signposted or ineligible referral whose coded
   * facts do not rule risk out, which the machine does not close (docs/hazard-log.md H4)
   */
  review?: string
  /** a referral with current consent whose outcome sends it to the partnership */
  deliverable: boolean
  /** plain-English summary a clinician can read to the patient */
  summary: string
}
