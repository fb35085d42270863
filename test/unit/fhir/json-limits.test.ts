import { describe, expect, it } from 'vitest'
import { checkJsonShape, DEFAULT_JSON_LIMITS } from '../../../src/fhir/json-limits.ts'

const nest = (depth: number, open = '[', close = ']'): string => open.repeat(depth) + close.repeat(depth)
const array = (items: number): string => JSON.stringify(Array.from({ length: items }, (_, i) => i))

describe('checkJsonShape', () => {
  it('passes ordinary FHIR JSON', () => {
    const sr = JSON.stringify({ resourceType: 'ServiceRequest', contained: [{ resourceType: 'Patient', name: [{ given: ['A', 'B'] }] }], note: [{ text: 'x' }] })
    expect(checkJsonShape(sr)).toBeUndefined()
    expect(checkJsonShape('')).toBeUndefined()
    expect(checkJsonShape('[]')).toBeUndefined()
  })

  it('allows nesting up to the limit and refuses one level more', () => {
    const limits = { maxDepth: 5, maxArrayItems: 100, maxObjectMembers: 100 }
    expect(checkJsonShape(nest(5), limits)).toBeUndefined()
    expect(checkJsonShape(nest(6), limits)).toBe('JSON nests deeper than 5 levels')
    expect(checkJsonShape('{"a":{"b":{"c":{"d":{"e":1}}}}}', limits)).toBeUndefined()
    expect(checkJsonShape('{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}', limits)).toBe('JSON nests deeper than 5 levels')
    expect(checkJsonShape('{"a":[{"b":[{"c":[1]}]}]}', limits)).toBe('JSON nests deeper than 5 levels')
  })

  it('counts depth, not the total number of containers', () => {
    const limits = { maxDepth: 3, maxArrayItems: 100, maxObjectMembers: 100 }
    expect(checkJsonShape('[[[1]],[[2]],[[3]],{"a":{"b":1}}]', limits)).toBeUndefined()
  })

  it('uses the default limits', () => {
    expect(DEFAULT_JSON_LIMITS).toStrictEqual({ maxDepth: 64, maxArrayItems: 10_000, maxObjectMembers: 1_000 })
    expect(checkJsonShape(nest(64))).toBeUndefined()
    expect(checkJsonShape(nest(65))).toBe('JSON nests deeper than 64 levels')
    expect(checkJsonShape(array(10_000))).toBeUndefined()
    expect(checkJsonShape(array(10_001))).toBe('a JSON array has more than 10000 items')
    const members = (n: number): string => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])))
    expect(checkJsonShape(members(1_000))).toBeUndefined()
    expect(checkJsonShape(members(1_001))).toBe('a JSON object has more than 1000 members')
  })

  it('allows objects up to their limit, counted per object, and refuses one member more', () => {
    const limits = { maxDepth: 10, maxArrayItems: 100, maxObjectMembers: 2 }
    expect(checkJsonShape('{"a":1,"b":2}', limits)).toBeUndefined()
    expect(checkJsonShape('{"a":1,"b":2,"c":3}', limits)).toBe('a JSON object has more than 2 members')
    expect(checkJsonShape('{"a":{"x":1,"y":2},"b":{"z":[1,2,3,4]}}', limits)).toBeUndefined()
    expect(checkJsonShape('[{"a":1,"b":2},{"c":3,"d":4},{"e":5,"f":6}]', limits)).toBeUndefined()
    expect(checkJsonShape('{"a":[1,2,3],"b":{"c":1,"d":2,"e":3}}', limits)).toBe('a JSON object has more than 2 members')
  })

  it('allows arrays up to the limit and refuses one item more', () => {
    const limits = { maxDepth: 10, maxArrayItems: 3, maxObjectMembers: 100 }
    expect(checkJsonShape('[1,2,3]', limits)).toBeUndefined()
    expect(checkJsonShape('[1,2,3,4]', limits)).toBe('a JSON array has more than 3 items')
    expect(checkJsonShape('{"a":[{"b":[1,2,3,4]}]}', limits)).toBe('a JSON array has more than 3 items')
  })

  it('counts items per array, not across sibling or nested arrays', () => {
    const limits = { maxDepth: 10, maxArrayItems: 3, maxObjectMembers: 100 }
    expect(checkJsonShape('[[1,2,3],[4,5,6],[7,8,9]]', limits)).toBeUndefined()
    expect(checkJsonShape('[1,[2,3,4],5]', limits)).toBeUndefined()
    expect(checkJsonShape('[1,2,[3,[4,5,6],7]]', limits)).toBeUndefined()
  })

  it('does not count object members as array items', () => {
    const limits = { maxDepth: 10, maxArrayItems: 2, maxObjectMembers: 100 }
    expect(checkJsonShape('{"a":1,"b":2,"c":3,"d":4}', limits)).toBeUndefined()
    expect(checkJsonShape('[{"a":1,"b":2,"c":3},{"d":4,"e":5}]', limits)).toBeUndefined()
  })

  it('ignores brackets and commas inside strings', () => {
    const limits = { maxDepth: 2, maxArrayItems: 2, maxObjectMembers: 100 }
    expect(checkJsonShape('{"text":"[[[[[{{{{{"}', limits)).toBeUndefined()
    expect(checkJsonShape('["a,b,c,d,e", "]]]]"]', limits)).toBeUndefined()
    expect(checkJsonShape('{"]]]": ["x"]}', limits)).toBeUndefined()
  })

  it('does not end a string at an escaped quote', () => {
    const limits = { maxDepth: 2, maxArrayItems: 2, maxObjectMembers: 100 }
    // the string holds \"[[[ and would otherwise open three arrays
    expect(checkJsonShape(String.raw`{"text":"say \"[[[ \" ,,,"}`, limits)).toBeUndefined()
    // an escaped backslash does end before the quote: the brackets after it count
    expect(checkJsonShape(String.raw`{"a":"\\","b":[[[1]]]}`, limits)).toBe('JSON nests deeper than 2 levels')
    expect(checkJsonShape(String.raw`["\\",1,2]`, limits)).toBe('a JSON array has more than 2 items')
  })
})
