import type { OperationOutcomeIssue } from '@medplum/fhirtypes'

/** Options of one {@link ResourceValidator.validate} call. */
export interface ValidateOptions {
  /**
   * Canonical URL of a profile to validate against, as well as those the resource claims in
   * meta.profile (e.g. the profile an endpoint requires). Unknown URLs give an error issue.
   */
  profile?: string
  /**
   * 'ignore': findings inside contained resources are left out, as the HL7 Java validator's
   * validateContains=IGNORE does; the default checks them as resources of their own type.
   */
  contained?: 'check' | 'ignore'
  /**
   * 'known-only': an extension whose definition is not loaded here is an error (R4's default,
   * 'open', lets any extension through: extensibility.html §2.5.0.1). See policy-checks.ts.
   */
  extensions?: 'open' | 'known-only'
  /** 'reject': uri/url/canonical values on example.org, example.com or acme.com are errors. */
  exampleUrls?: 'allow' | 'reject'
}

/**
 * The gateway's FHIR R4 validator, as every caller sees it: it takes parsed JSON and returns
 * OperationOutcome issues. Behind it (create-validator.ts): base R4 compiled ahead of time
 * (structure.ts) and the profiles compiled at start-up (compiled-profile.ts).
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
