import { describe, expect, it } from 'vitest'
import { jsonEqual } from '../../src/json-equal.ts'

describe('jsonEqual', () => {
  it('ignores object key order and treats an undefined key as absent', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true)
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true)
  })

  it('sees differences in values, array order, types and null', () => {
    expect(jsonEqual([1, 2], [2, 1])).toBe(false)
    expect(jsonEqual({ a: 1 }, { a: '1' })).toBe(false)
    expect(jsonEqual({ a: null }, { a: {} })).toBe(false)
    expect(jsonEqual([], {})).toBe(false)
    expect(jsonEqual({ a: [1] }, { a: [1, 2] })).toBe(false)
  })

  it('looks only at own keys and holds for nested values either way round', () => {
    const proto = Object.create({ inherited: 1 }) as Record<string, unknown>
    proto.a = 1
    expect(jsonEqual(proto, { a: 1 })).toBe(true)
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true)
    expect(jsonEqual({ a: { b: [1, { c: undefined }] } }, { a: { b: [1, {}] } })).toBe(true)
    expect(jsonEqual({ a: 1, b: 2 }, { a: 1 })).toBe(false)
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false)
    expect(jsonEqual('x', 'x')).toBe(true)
    expect(jsonEqual(1, 2)).toBe(false)
  })
})
