import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes'

export type IssueSeverity = OperationOutcomeIssue['severity']
export type IssueCode = OperationOutcomeIssue['code']

/**
 * The one error type of the gateway. Whatever goes wrong, on whichever door, ends as an
 * OperationOutcome with the HTTP status FHIR servers use (R4 http.html §3.1.0.4).
 */
export class OperationOutcomeError extends Error {
  readonly status: number
  readonly issues: OperationOutcomeIssue[]
  readonly headers: Record<string, string>

  constructor (status: number, issues: OperationOutcomeIssue[], headers: Record<string, string> = {}) {
    super(issues.map((i) => i.diagnostics ?? i.code).join('; '))
    this.name = 'OperationOutcomeError'
    this.status = status
    this.issues = issues
    this.headers = headers
  }

  toOperationOutcome (): OperationOutcome {
    return operationOutcome(this.issues)
  }
}

/** Builds one OperationOutcome issue; `expression` is the FHIRPath of the offending element. */
export function issue (
  severity: IssueSeverity,
  code: IssueCode,
  diagnostics: string,
  expression?: string | string[]
): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = { severity, code, diagnostics }
  if (expression !== undefined) {
    out.expression = Array.isArray(expression) ? expression : [expression]
  }
  return out
}

export function operationOutcome (issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues }
}

/** Shorthand for the common single-issue error. */
export function outcomeError (
  status: number,
  code: IssueCode,
  diagnostics: string,
  expression?: string | string[],
  headers?: Record<string, string>
): OperationOutcomeError {
  return new OperationOutcomeError(status, [issue('error', code, diagnostics, expression)], headers)
}

export function hasErrors (issues: readonly OperationOutcomeIssue[]): boolean {
  return issues.some((i) => i.severity === 'error' || i.severity === 'fatal')
}
