import { describe, expect, it } from 'vitest'
import { checkEmptyValues } from '../../../src/validation/empty-values.ts'

describe('checkEmptyValues', () => {
  it('reports empty arrays, objects and strings with their FHIRPath', () => {
    const issues = checkEmptyValues({
      resourceType: 'Patient',
      identifier: [{ system: 'x', value: [] }],
      name: [{}],
      gender: '',
      address: []
    }, 'Patient')
    expect(issues.map((i) => i.expression?.[0])).toStrictEqual([
      'Patient.identifier[0].value',
      'Patient.name[0]',
      'Patient.gender',
      'Patient.address'
    ])
    expect(issues.every((i) => i.severity === 'error' && i.code === 'structure')).toBe(true)
  })

  it('accepts a resource with no empty values, including whitespace strings and false/0', () => {
    expect(checkEmptyValues({ resourceType: 'Observation', valueBoolean: false, valueInteger: 0, note: [{ text: ' ' }] }, 'Observation')).toStrictEqual([])
  })
})
