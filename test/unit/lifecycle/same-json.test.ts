import { describe, expect, it } from 'vitest'
import { sameJson } from '../../../src/lifecycle/same-json.ts'

describe('sameJson', () => {
  it('ignores object key order and treats an undefined key as absent', () => {
    expect(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true)
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true)
  })

  it('sees differences in values, array order, types and null', () => {
    expect(sameJson([1, 2], [2, 1])).toBe(false)
    expect(sameJson({ a: 1 }, { a: '1' })).toBe(false)
    expect(sameJson({ a: null }, { a: {} })).toBe(false)
    expect(sameJson([], {})).toBe(false)
    expect(sameJson({ a: [1] }, { a: [1, 2] })).toBe(false)
  })
})
