import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { compareNatural, finaliseIssues } from '../../../src/validation/issues.ts'

const at = (severity: OperationOutcomeIssue['severity'], expression: string, diagnostics = 'x'): OperationOutcomeIssue =>
  ({ severity, code: 'structure', diagnostics, expression: [expression] })

describe('finaliseIssues', () => {
  it('puts errors first, then orders by expression with indexes compared as numbers', () => {
    const sorted = finaliseIssues([
      at('warning', 'A.a'),
      at('error', 'A.x[10]'),
      at('information', 'A.a'),
      at('error', 'A.x[2]'),
      at('fatal', 'A.z'),
      at('error', 'A.b')
    ])
    expect(sorted.map((i) => `${i.severity} ${i.expression?.[0] ?? ''}`)).toEqual([
      'fatal A.z', 'error A.b', 'error A.x[2]', 'error A.x[10]', 'warning A.a', 'information A.a'
    ])
  })

  it('gives the same order whatever order the issues came in', () => {
    const issues = [at('error', 'A.b', '2'), at('error', 'A.b', '1'), at('warning', 'A.a'), at('error', 'A.a')]
    const reversed = [...issues].reverse()
    expect(finaliseIssues(reversed)).toEqual(finaliseIssues(issues))
  })

  it('drops exact duplicates only', () => {
    expect(finaliseIssues([at('error', 'A.b'), at('error', 'A.b'), at('error', 'A.b', 'other')])).toHaveLength(2)
  })

  it('sorts issues without an expression before those with one', () => {
    const none: OperationOutcomeIssue = { severity: 'error', code: 'structure', diagnostics: 'not an object' }
    expect(finaliseIssues([at('error', 'A'), none])[0]).toBe(none)
  })
})

describe('compareNatural', () => {
  it('compares digit runs by value and the rest by code unit', () => {
    expect(['x[10]', 'x[9]', 'x[1]', 'w'].sort(compareNatural)).toEqual(['w', 'x[1]', 'x[9]', 'x[10]'])
    expect(compareNatural('a', 'a')).toBe(0)
    expect(compareNatural('a', 'a.b')).toBeLessThan(0)
  })
})
