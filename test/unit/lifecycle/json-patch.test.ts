import { describe, expect, it } from 'vitest'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'
import { applyJsonPatch, parseJsonPatch, parsePointer, patchPathIssues, pointerToFhirPath, type PatchOperation } from '../../../src/lifecycle/json-patch.ts'

function outcomeOf (fn: () => unknown): { status: number, code: string | undefined, diagnostics: string | undefined } {
  try {
    fn()
  } catch (err) {
    if (err instanceof OperationOutcomeError) return { status: err.status, code: err.issues[0]?.code, diagnostics: err.issues[0]?.diagnostics }
    throw err
  }
  throw new Error('expected an OperationOutcomeError')
}

describe('parsePointer (RFC 6901)', () => {
  it('splits and unescapes tokens', () => {
    expect(parsePointer('')).toEqual([])
    expect(parsePointer('/a~1b/m~0n/0')).toEqual(['a/b', 'm~n', '0'])
    expect(parsePointer('/')).toEqual([''])
  })

  it('refuses a pointer without a leading slash, a bad escape, or a prototype key', () => {
    expect(outcomeOf(() => parsePointer('status')).status).toBe(400)
    expect(outcomeOf(() => parsePointer('/a~2')).status).toBe(400)
    expect(outcomeOf(() => parsePointer('/note/__proto__'))).toMatchObject({ status: 400, code: 'security' })
    expect(outcomeOf(() => parsePointer('/constructor/prototype')).code).toBe('security')
  })
})

describe('parseJsonPatch', () => {
  it('accepts the six operations with what each needs', () => {
    const ops = [
      { op: 'add', path: '/a', value: 1 },
      { op: 'remove', path: '/a' },
      { op: 'replace', path: '/b', value: null },
      { op: 'move', from: '/b', path: '/c' },
      { op: 'copy', from: '/c', path: '/d' },
      { op: 'test', path: '/d', value: null, extra: 'ignored' }
    ]
    expect(parseJsonPatch(ops)).toEqual([
      { op: 'add', path: '/a', value: 1 },
      { op: 'remove', path: '/a' },
      { op: 'replace', path: '/b', value: null },
      { op: 'move', from: '/b', path: '/c' },
      { op: 'copy', from: '/c', path: '/d' },
      { op: 'test', path: '/d', value: null }
    ])
  })

  it.each([
    ['not an array', { op: 'add', path: '/a', value: 1 }],
    ['empty', []],
    ['an operation that is not an object', ['add']],
    ['an unknown op', [{ op: 'merge', path: '/a' }]],
    ['no path', [{ op: 'remove' }]],
    ['a bad path', [{ op: 'remove', path: 'a' }]],
    ['no value', [{ op: 'add', path: '/a' }]],
    ['no from', [{ op: 'move', path: '/a' }]],
    ['a bad from', [{ op: 'copy', from: 'x', path: '/a' }]]
  ])('refuses a patch with %s as 400', (_what, body) => {
    expect(outcomeOf(() => parseJsonPatch(body))).toMatchObject({ status: 400, code: 'structure' })
  })
})

describe('applyJsonPatch (RFC 6902 §4)', () => {
  const doc = { status: 'requested', note: [{ text: 'a' }], owner: { reference: 'Organization/x' } }

  it('adds to objects and arrays (by index and with -), without touching the original', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/status', value: 'accepted' },
      { op: 'add', path: '/note/-', value: { text: 'c' } },
      { op: 'add', path: '/note/1', value: { text: 'b' } },
      { op: 'add', path: '/businessStatus', value: { text: 'x' } }
    ])
    expect(out).toEqual({ status: 'accepted', note: [{ text: 'a' }, { text: 'b' }, { text: 'c' }], owner: { reference: 'Organization/x' }, businessStatus: { text: 'x' } })
    expect(doc.status).toBe('requested')
    expect(doc.note).toHaveLength(1)
  })

  it('removes, replaces, moves and copies', () => {
    const out = applyJsonPatch({ a: 1, b: [1, 2, 3], c: { d: 4 } }, [
      { op: 'remove', path: '/b/1' },
      { op: 'replace', path: '/a', value: 9 },
      { op: 'move', from: '/c/d', path: '/e' },
      { op: 'copy', from: '/b', path: '/f' },
      { op: 'replace', path: '/b/0', value: 0 }
    ])
    expect(out).toEqual({ a: 9, b: [0, 3], c: {}, e: 4, f: [1, 3] })
  })

  it('passes a test that matches structurally', () => {
    expect(applyJsonPatch(doc, [{ op: 'test', path: '/owner', value: { reference: 'Organization/x' } }])).toEqual(doc)
  })

  it.each<[string, PatchOperation[]]>([
    ['a failed test', [{ op: 'test', path: '/status', value: 'requested' }]],
    ['replacing a missing member', [{ op: 'replace', path: '/missing', value: 1 }]],
    ['removing a missing member', [{ op: 'remove', path: '/note/5' }]],
    ['adding past the end of an array', [{ op: 'add', path: '/note/3', value: {} }]],
    ['adding under a missing parent', [{ op: 'add', path: '/x/y', value: 1 }]],
    ['adding under a scalar', [{ op: 'add', path: '/status/y', value: 1 }]],
    ['a non-numeric array index', [{ op: 'add', path: '/note/first', value: {} }]],
    ['a move into itself', [{ op: 'move', from: '/owner', path: '/owner/inner' }]],
    ['replacing the whole document', [{ op: 'replace', path: '', value: {} }]]
  ])('refuses %s as 409 conflict, applying nothing', (_what, ops) => {
    expect(outcomeOf(() => applyJsonPatch(doc, [{ op: 'add', path: '/status', value: 'accepted' }, ...ops]))).toMatchObject({ status: 409, code: 'conflict' })
    expect(doc.status).toBe('requested')
  })

  it('never writes onto a prototype', () => {
    const out = applyJsonPatch({}, [{ op: 'add', path: '/toString', value: 'x' }]) as Record<string, unknown>
    expect(Object.hasOwn(out, 'toString')).toBe(true)
    expect(({} as Record<string, unknown>).toString).toBeTypeOf('function')
  })
})

describe('patchPathIssues', () => {
  const writable = ['status', 'note']

  it('refuses writes outside the writable elements with their FHIRPath, but lets test and copy read anywhere', () => {
    const issues = patchPathIssues('Task', [
      { op: 'replace', path: '/status', value: 'accepted' },
      { op: 'add', path: '/note/-', value: {} },
      { op: 'test', path: '/owner/reference', value: 'Organization/x' },
      { op: 'copy', from: '/owner', path: '/note/-' },
      { op: 'replace', path: '/owner/reference', value: 'Organization/y' },
      { op: 'move', from: '/for', path: '/status' },
      { op: 'remove', path: '/basedOn/0' }
    ], writable)
    expect(issues.map((i) => [i.code, i.expression?.[0]])).toEqual([
      ['business-rule', 'Task.owner.reference'],
      ['business-rule', 'Task.for'],
      ['business-rule', 'Task.basedOn[0]']
    ])
    expect(issues[0]?.diagnostics).toBe('JSON Patch may not replace "/owner/reference": only status, note may be changed')
  })
})

describe('pointerToFhirPath', () => {
  it('turns indexes into brackets and drops the append token', () => {
    expect(pointerToFhirPath('Task', '/note/0/text')).toBe('Task.note[0].text')
    expect(pointerToFhirPath('Task', '/note/-')).toBe('Task.note')
    expect(pointerToFhirPath('Task', '')).toBe('Task')
  })
})
