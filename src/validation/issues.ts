import type { OperationOutcomeIssue } from '@medplum/fhirtypes'

const SEVERITY_RANK: Record<OperationOutcomeIssue['severity'], number> = {
  fatal: 0,
  error: 1,
  warning: 2,
  information: 3
}

/**
 * Removes exact duplicates and sorts issues into a stable order: by severity (errors first),
 * then expression (array indexes compared as numbers), then code, then diagnostics. Callers
 * and tests can then rely on the order whatever order the checks ran in.
 * @param issues - issues from all checks
 * @returns a new, sorted array without duplicates
 */
export function finaliseIssues (issues: readonly OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  if (issues.length === 0) {
    return [] // the common case, a valid resource
  }
  const unique = new Map<string, OperationOutcomeIssue>()
  for (const i of issues) {
    const key = JSON.stringify([i.severity, i.code, i.expression ?? [], i.diagnostics ?? ''])
    if (!unique.has(key)) {
      unique.set(key, i)
    }
  }
  return [...unique.values()].sort(compareIssues)
}

function compareIssues (a: OperationOutcomeIssue, b: OperationOutcomeIssue): number {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    compareNatural((a.expression ?? []).join('|'), (b.expression ?? []).join('|')) ||
    compareNatural(a.code, b.code) ||
    compareNatural(a.diagnostics ?? '', b.diagnostics ?? '')
}

/**
 * Compares strings with runs of digits compared by value, so "x[2]" sorts before "x[10]".
 * Plain code-unit order otherwise, so the result does not depend on the locale.
 * @param a - first string
 * @param b - second string
 * @returns negative, zero or positive
 */
export function compareNatural (a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? []
  const tb = b.match(/\d+|\D+/g) ?? []
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i] ?? ''
    const y = tb[i] ?? ''
    if (x === y) {
      continue
    }
    const bothDigits = /^\d/.test(x) && /^\d/.test(y)
    if (bothDigits && Number(x) !== Number(y)) {
      return Number(x) - Number(y)
    }
    return x < y ? -1 : 1
  }
  return ta.length - tb.length
}
