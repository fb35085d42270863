import type { OperationOutcomeIssue } from '@medplum/fhirtypes'

/** Options of one {@link ResourceValidator.validate} call. */
export interface ValidateOptions {
  /**
   * Canonical URL of a profile to validate against, as well as those the resource claims in
   * meta.profile (e.g. the profile an endpoint requires). Unknown URLs give an error issue.
   */
  profile?: string
}

/**
 * The gateway's FHIR R4 validator, as every caller sees it. The engine behind it can change
 * (today @medplum/core plus explicit checks; later a compiled validator) without callers
 * changing: it takes parsed JSON and returns OperationOutcome issues.
 */
export interface ResourceValidator {
  /**
   * Validates a parsed JSON value as a FHIR R4 resource against base R4 and the WorkWell
   * profiles it claims (meta.profile) or that `options.profile` names. Never throws on bad
   * input; returns issues (severity, code, diagnostics, expression = FHIRPath like
   * "ServiceRequest.subject" or "ServiceRequest.contained[0].identifier[0].value"), in a
   * stable order: errors first, then by expression.
   */
  validate(resource: unknown, options?: ValidateOptions): OperationOutcomeIssue[]
  /** canonical URLs of the profiles loaded */
  readonly profiles: readonly string[]
}
