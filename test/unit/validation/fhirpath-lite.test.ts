import { evalFhirPath } from '@medplum/core'
import { describe, expect, it } from 'vitest'
import { compileLite, isMet, NotCompiled } from '../../../src/validation/fhirpath-lite.ts'
import type { JsonObject } from '../../../src/validation/json.ts'

const isResourceType = (name: string): boolean => ['Patient', 'Observation', 'Composition', 'MessageHeader'].includes(name)

function run (expression: string, node: JsonObject, resource: JsonObject = node): unknown[] {
  const compiled = compileLite(expression, isResourceType)
  if (!compiled) {
    throw new Error(`not compiled: ${expression}`)
  }
  return compiled(node, { resource, rootResource: resource })
}

describe('compileLite', () => {
  it('evaluates paths, choice names and existence', () => {
    const obs = { resourceType: 'Observation', valueQuantity: { value: 3 }, component: [{ code: { text: 'a' } }, { code: { text: 'b' } }] }
    expect(run('value.exists()', obs)).toEqual([true])
    expect(run('value.value', obs)).toEqual([3])
    expect(run('component.code.text', obs)).toEqual(['a', 'b'])
    expect(run('component.count()', obs)).toEqual([2])
    expect(run('dataAbsentReason.empty() or value.empty()', obs)).toEqual([true])
  })

  it('uses FHIRPath three-valued logic', () => {
    expect(run('a implies b', { a: true })).toEqual([])
    expect(run('a implies b', { a: false })).toEqual([true])
    expect(run('a and b', { a: false })).toEqual([false])
    expect(run('a or b', { b: true })).toEqual([true])
    expect(run('a xor b', { a: true, b: false })).toEqual([true])
    expect(isMet([])).toBe(true)
    expect(isMet([false])).toBe(false)
  })

  it('filters with where/all/exists(criteria), compares literals and concatenates', () => {
    const node = { coding: [{ system: 's', code: '1' }, { system: 't', code: '2' }] }
    expect(run("coding.where(system = 's').code", node)).toEqual(['1'])
    expect(run("coding.all(code.matches('^[0-9]$'))", node)).toEqual([true])
    expect(run("coding.exists(system = 'u')", node)).toEqual([false])
    expect(run("coding.first().system & '|' & coding.first().code", node)).toEqual(['s|1'])
    expect(run("'2' in coding.code", node)).toEqual([true])
    expect(run('coding.code.isDistinct()', node)).toEqual([true])
    expect(run('coding.where(%context.coding.count() = 2).count()', node)).toEqual([2])
  })

  it('reads %resource and resolves references in the Bundle', () => {
    const bundle = {
      resourceType: 'Bundle',
      entry: [{ fullUrl: 'https://a.example/Patient/1', resource: { resourceType: 'Patient', id: '1' } }]
    }
    expect(run('entry.resource.ofType(Patient).exists() and %resource.entry.count() = 1', bundle)).toEqual([true])
    expect(run("'Patient/1'.resolve().exists()", bundle)).toEqual([true])
    expect(run("'Patient/2'.resolve().exists()", bundle)).toEqual([false])
  })

  it('declines what it does not cover, at compile time or at run time', () => {
    expect(compileLite('descendants().count() > 0', isResourceType)).toBeUndefined()
    expect(compileLite('value.as(Quantity).value > 0', isResourceType)).toBeUndefined()
    expect(() => run('start <= end', { start: '2020-01-01', end: '2021-01-01' })).toThrow(NotCompiled)
  })

  it('answers the fused forms (union, where, name = literal) as the general forms do', () => {
    const requester = { requester: { display: 'Dr A' } }
    expect(run('(requester.reference | requester.display).exists()', requester)).toEqual([true])
    expect(run('(requester.reference | requester.identifier).exists()', requester)).toEqual([false])
    expect(run('(requester.reference | requester.identifier).empty()', requester)).toEqual([true])
    expect(run('(requester.reference | requester.display).count()', requester)).toEqual([1])
    const node = { coding: [{ system: 's', code: '1' }, { system: 't', code: '2' }], value: [1, 2] }
    expect(run("coding.where(system = 't').exists()", node)).toEqual([true])
    expect(run("coding.where(system = 'u').exists()", node)).toEqual([false])
    expect(run("coding.where(system = 'u').empty()", node)).toEqual([true])
    expect(run("coding.where(system = 's' and (code = '2' or code = '1')).exists()", node)).toEqual([true])
    // name = literal: a missing name is empty, a repeating one is compared as a collection.
    expect(run("missing = 'x'", node)).toEqual([])
    expect(run('value = 1', node)).toEqual([false])
    expect(run('value != 1', node)).toEqual([true])
    expect(run("coding.first().system != 's'", node)).toEqual([false])
    // A date-like string against another string is not settled here: the caller falls back.
    expect(() => run("date = '2020-01-01'", { date: '2020-01-01T10:00:00Z' })).toThrow(NotCompiled)
    expect(() => run("coding.where(code = '2020-01').exists()", node)).toThrow(NotCompiled)
    expect(run("matches = 'a' and note.matches('^a+$') and note.matches('^a+$')", { matches: 'a', note: 'aaa' })).toEqual([true])
  })

  it.each([
    ['(requester.reference | requester.identifier | requester.display).exists() implies requester.reference.exists()', { requester: { display: 'x' } }],
    ['(requester.reference | requester.identifier | requester.display).exists() implies requester.reference.exists()', { requester: { reference: 'Patient/1' } }],
    ["component.where(code.coding.where(system = 's' and (code = 'a' or code = 'b')).exists() and value = true).empty() or value.exists()",
      { component: [{ code: { coding: [{ system: 's', code: 'b' }] }, valueBoolean: true }] }],
    ["component.where(code.coding.where(system = 's' and (code = 'a' or code = 'b')).exists() and value = true).empty() or value.exists()",
      { component: [{ code: { coding: [{ system: 's', code: 'c' }] }, valueBoolean: true }] }],
    ["identifier.where(system = 'n').all(value.matches('^[0-9]{10}$'))", { identifier: [{ system: 'n', value: '123' }] }],
    ["identifier.where(system = 'n').all(value.matches('^[0-9]{10}$'))", { identifier: [{ system: 'n', value: '1234567890' }] }],
    ['code.empty() or system.exists()', { code: 'x' }],
    ['code.empty() or system.exists()', { code: 'x', system: 'y' }],
    ['name.exists() or telecom.exists() or address.exists() or organization.exists()', { gender: 'male' }],
    ['dataAbsentReason.empty() or value.empty()', { dataAbsentReason: { text: 'x' }, valueString: 'y' }],
    ['extension.exists() != value.exists()', { url: 'u', valueString: 'v' }],
    ['extension.exists() != value.exists()', { url: 'u' }],
    ["reference.startsWith('#').not() or reference.exists()", { reference: '#a' }]
  ])('agrees with @medplum/core on %s', (expression, node) => {
    const medplum = evalFhirPath(expression, node)
    expect(isMet(run(expression, node))).toBe(!(medplum.length === 1 && medplum[0] === false))
  })

  // The or-chain of literals on one name is answered by a set lookup, and a union of plain
  // paths under exists() stops at the first part with a value: both must keep the general
  // forms' answers, including empty, repeating and non-string values.
  const chain = "code = 'a' or code = 'b' or code = 'c'"
  const union = '(subject.reference | subject.identifier | subject.display).exists()'
  it.each([
    [chain, { code: 'b' }],
    [chain, { code: 'z' }],
    [chain, {}],
    [chain, { code: ['a', 'b'] }],
    [chain, { code: 3 }],
    [`(${chain}) and status = 'final'`, { code: 'c', status: 'final' }],
    [`(${chain}) and status = 'final'`, { code: 'c', status: 'draft' }],
    [union, { subject: { display: 'x' } }],
    [union, { subject: { identifier: { value: '1' } } }],
    [union, { subject: {} }],
    [union, {}],
    [union, { subject: [{ reference: 'Patient/1' }, {}] }],
    [`${union} implies subject.reference.exists()`, { subject: { display: 'x' } }]
  ])('keeps the general answer for the short-cut form %s on %j', (expression, node) => {
    const medplum = evalFhirPath(expression, node)
    expect(isMet(run(expression, node))).toBe(!(medplum.length === 1 && medplum[0] === false))
  })
})
