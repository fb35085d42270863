import { describe, expect, it } from 'vitest'
import { hasErrors, issue, MAX_ISSUES, OperationOutcomeError, operationOutcome, outcomeError } from '../../../src/fhir/operation-outcome.ts'

describe('issue', () => {
  it('builds an issue with an expression list only when one is given', () => {
    expect(issue('warning', 'invalid', 'odd', 'Patient.name')).toStrictEqual({ severity: 'warning', code: 'invalid', diagnostics: 'odd', expression: ['Patient.name'] })
    expect(issue('error', 'required', 'missing', ['A.b', 'A.c'])).toStrictEqual({ severity: 'error', code: 'required', diagnostics: 'missing', expression: ['A.b', 'A.c'] })
    expect(issue('information', 'informational', 'fyi')).toStrictEqual({ severity: 'information', code: 'informational', diagnostics: 'fyi' })
  })
})

describe('OperationOutcomeError', () => {
  it('carries status, issues and headers, and becomes an OperationOutcome', () => {
    const issues = [issue('error', 'invalid', 'first'), { severity: 'error' as const, code: 'required' as const }]
    const err = new OperationOutcomeError(422, issues, { 'Retry-After': '1' })
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('OperationOutcomeError')
    expect(err.status).toBe(422)
    expect(err.headers).toStrictEqual({ 'Retry-After': '1' })
    expect(err.message).toBe('first; required')
    expect(err.toOperationOutcome()).toStrictEqual({ resourceType: 'OperationOutcome', issue: issues })
  })

  it('has no headers unless given', () => {
    expect(new OperationOutcomeError(400, []).headers).toStrictEqual({})
  })
})

describe('outcomeError', () => {
  it('is a single error issue with the status and headers', () => {
    const err = outcomeError(409, 'duplicate', 'seen before', 'X-Request-Id', { 'Content-Location': 'ServiceRequest/1' })
    expect(err.status).toBe(409)
    expect(err.issues).toStrictEqual([{ severity: 'error', code: 'duplicate', diagnostics: 'seen before', expression: ['X-Request-Id'] }])
    expect(err.headers).toStrictEqual({ 'Content-Location': 'ServiceRequest/1' })
    expect(err.message).toBe('seen before')
  })
})

describe('operationOutcome and hasErrors', () => {
  it('wraps issues in an OperationOutcome', () => {
    expect(operationOutcome([])).toStrictEqual({ resourceType: 'OperationOutcome', issue: [] })
  })

  it('finds errors and fatals but not warnings or information', () => {
    expect(hasErrors([issue('warning', 'invalid', 'w'), issue('information', 'informational', 'i')])).toBe(false)
    expect(hasErrors([])).toBe(false)
    expect(hasErrors([issue('warning', 'invalid', 'w'), issue('error', 'invalid', 'e')])).toBe(true)
    expect(hasErrors([issue('fatal', 'exception', 'f')])).toBe(true)
  })
})

describe('operationOutcome', () => {
  const many = (n: number, severity: 'error' | 'warning' = 'error'): ReturnType<typeof issue>[] =>
    Array.from({ length: n }, (_, i) => issue(severity, 'structure', `fault ${i}`, `ServiceRequest.identifier[${i}]`))

  it('lists every issue up to MAX_ISSUES', () => {
    expect(operationOutcome(many(MAX_ISSUES)).issue).toStrictEqual(many(MAX_ISSUES))
  })

  it('lists the first ones past MAX_ISSUES, then says how many more there are', () => {
    const outcome = operationOutcome(many(250))
    expect(outcome.issue).toHaveLength(MAX_ISSUES)
    expect(outcome.issue.slice(0, -1)).toStrictEqual(many(MAX_ISSUES - 1))
    expect(outcome.issue.at(-1)).toMatchObject({ severity: 'error', code: 'too-costly', diagnostics: `At least ${250 - MAX_ISSUES + 1} more issues are not listed; the first ${MAX_ISSUES - 1} are. Fix them and send again` })
    expect(hasErrors(outcome.issue)).toBe(true)
  })

  it('says the issues left out were warnings when they all were', () => {
    const outcome = operationOutcome([...many(MAX_ISSUES - 1), ...many(5, 'warning')])
    expect(outcome.issue.at(-1)).toMatchObject({ severity: 'warning', code: 'too-costly' })
    expect(operationOutcome([...many(MAX_ISSUES, 'warning'), ...many(1)]).issue.at(-1)?.severity).toBe('error')
  })

  it('keeps an error\'s message short however many issues it has', () => {
    const err = new OperationOutcomeError(422, many(10_000))
    expect(err.message.split('; ')).toHaveLength(MAX_ISSUES)
    expect(err.toOperationOutcome().issue).toHaveLength(MAX_ISSUES)
  })
})
