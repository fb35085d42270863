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
    super(issues.slice(0, MAX_ISSUES).map((i) => i.diagnostics ?? i.code).join('; '))
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

/**
 * The most issues one OperationOutcome lists. A body can hold tens of thousands of faults (an
 * unknown element in each of ten thousand array items): listed in full, a 1 MB request made a
 * 10 MB answer. The first ones, in document order, are what a sender fixes first.
 */
export const MAX_ISSUES = 100

/**
 * An OperationOutcome of the issues, at most MAX_ISSUES of them and a last one saying how many
 * were left out ("at least": the validator itself stops looking after WALK_ISSUE_LIMIT).
 */
export function operationOutcome (issues: OperationOutcomeIssue[]): OperationOutcome {
  if (issues.length <= MAX_ISSUES) return { resourceType: 'OperationOutcome', issue: issues }
  const listed = issues.slice(0, MAX_ISSUES - 1)
  const left = issues.length - listed.length
  const worst = issues.slice(MAX_ISSUES - 1).some((i) => i.severity === 'error' || i.severity === 'fatal') ? 'error' : 'warning'
  return {
    resourceType: 'OperationOutcome',
    issue: [...listed, issue(worst, 'too-costly', `At least ${left} more issues are not listed; the first ${listed.length} are. Fix them and send again`)]
  }
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

/**
 * BaRS error codes (IG Error-Handling; CodeSystem spelled as the IG spells it, not the
 * examples' "Codesystem"). A receiver answers with REC_ codes only: the prefix says who is
 * at fault, and SEND_/PROXY_ belong to the sender and the BaRS proxy.
 */
export const BARS_ERROR_SYSTEM = 'https://fhir.nhs.uk/CodeSystem/http-error-codes'

const REC_CODES: Readonly<Record<number, string>> = {
  400: 'REC_BAD_REQUEST',
  401: 'REC_UNAUTHORIZED',
  403: 'REC_FORBIDDEN',
  404: 'REC_NOT_FOUND',
  406: 'REC_NOT_ACCEPTABLE',
  408: 'REC_TIMEOUT',
  409: 'REC_CONFLICT',
  422: 'REC_UNPROCESSABLE_ENTITY',
  425: 'REC_TOO_EARLY',
  429: 'REC_TOO_MANY_REQUESTS',
  500: 'REC_SERVER_ERROR',
  501: 'REC_NOT_IMPLEMENTED',
  503: 'REC_SERVICE_UNAVAILABLE'
}

/** The BaRS REC_ code for an HTTP status; a status BaRS does not name falls back to its class. */
export function barsCode (status: number): string {
  return REC_CODES[status] ?? (status >= 500 ? 'REC_SERVER_ERROR' : 'REC_BAD_REQUEST')
}

/** The issue with its BaRS code in details.coding (display "409 - REC_CONFLICT", as BaRS writes it); an existing BaRS coding is kept. */
export function withBarsCode (i: OperationOutcomeIssue, status: number): OperationOutcomeIssue {
  if (i.details?.coding?.some((c) => c.system === BARS_ERROR_SYSTEM) === true) return i
  const code = barsCode(status)
  return { ...i, details: { ...i.details, coding: [...(i.details?.coding ?? []), { system: BARS_ERROR_SYSTEM, code, display: `${status} - ${code}` }] } }
}

/** The same error with a BaRS code on each of its error issues (warnings stay as they are). */
export function asBarsError (err: OperationOutcomeError): OperationOutcomeError {
  const issues = err.issues.map((i) => (i.severity === 'error' || i.severity === 'fatal' ? withBarsCode(i, err.status) : i))
  return new OperationOutcomeError(err.status, issues, err.headers)
}
