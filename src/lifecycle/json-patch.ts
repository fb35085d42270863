import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { issue, outcomeError } from '../fhir/operation-outcome.ts'
import { jsonEqual } from '../json-equal.ts'

/** The media type of a JSON Patch document (RFC 6902 §6). */
export const JSON_PATCH = 'application/json-patch+json'

/** One JSON Patch operation (RFC 6902 §4), checked for shape by {@link parseJsonPatch}. */
export type PatchOperation =
  | { op: 'add' | 'replace' | 'test', path: string, value: unknown }
  | { op: 'remove', path: string }
  | { op: 'move' | 'copy', from: string, path: string }

/**
 * Bounds on a patch, checked before and while it runs: a few operations can otherwise grow a
 * document exponentially (each `copy` of an array into itself doubles it), holding the event
 * loop and the heap for every other caller. A Task's partnership changes are a status, a
 * reason, a note or an output: far inside these.
 */
export interface PatchLimits {
  /** operations in one patch */
  operations: number
  /** JSON length of one operation's value */
  valueBytes: number
  /** JSON length the patched document may reach */
  resultBytes: number
}

export const PATCH_LIMITS: PatchLimits = { operations: 64, valueBytes: 16_384, resultBytes: 131_072 }

/** A patch over a bound (FHIR IssueType too-costly; RFC 5789 §2.2: 422 for a patch that cannot be processed). */
function tooCostly (diagnostics: string, expression?: string): Error {
  return outcomeError(422, 'too-costly', `JSON Patch refused: ${diagnostics}`, expression)
}

function jsonLength (value: unknown): number {
  return JSON.stringify(value)?.length ?? 0
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test'])
/** Keys that would reach Object.prototype if assigned; never FHIR element names. */
const FORBIDDEN_TOKENS = new Set(['__proto__', 'constructor', 'prototype'])
const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/

function malformed (diagnostics: string): Error {
  // RFC 5789 §2.2: a malformed patch document is 400
  return outcomeError(400, 'structure', `Malformed JSON Patch: ${diagnostics}`)
}

/**
 * Splits a JSON Pointer (RFC 6901) into its unescaped tokens; '' is the whole document.
 *
 * @throws OperationOutcomeError 400 when the pointer is not valid
 */
export function parsePointer (pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw malformed(`"${pointer}" is not a JSON Pointer (it must start with /)`)
  return pointer.slice(1).split('/').map((token) => {
    if (/~(?![01])/.test(token)) throw malformed(`"${pointer}" has an invalid ~ escape`)
    const t = token.replace(/~1/g, '/').replace(/~0/g, '~')
    if (FORBIDDEN_TOKENS.has(t)) throw outcomeError(400, 'security', `JSON Patch path "${pointer}" is refused`)
    return t
  })
}

/**
 * Checks that a request body is a JSON Patch document: an array of operations, each with a
 * known `op`, a valid `path`, and the `value` or `from` its op needs (RFC 6902 §4).
 *
 * @throws OperationOutcomeError 400 when it is not
 */
export function parseJsonPatch (body: unknown, limits: PatchLimits = PATCH_LIMITS): PatchOperation[] {
  if (!Array.isArray(body)) throw malformed('the body must be a JSON array of operations')
  if (body.length === 0) throw malformed('the patch has no operations')
  if (body.length > limits.operations) throw tooCostly(`${body.length} operations; at most ${limits.operations} are taken in one patch`)
  return body.map((raw: unknown, i): PatchOperation => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw malformed(`operation ${i} is not an object`)
    const o = raw as Record<string, unknown>
    const { op, path } = o
    if (typeof op !== 'string' || !OPS.has(op)) throw malformed(`operation ${i} has no valid "op" (add, remove, replace, move, copy or test)`)
    if (typeof path !== 'string') throw malformed(`operation ${i} (${op}) has no "path" string`)
    parsePointer(path)
    switch (op) {
      case 'add':
      case 'replace':
      case 'test':
        if (!Object.hasOwn(o, 'value')) throw malformed(`operation ${i} (${op}) has no "value"`)
        if (jsonLength(o.value) > limits.valueBytes) throw tooCostly(`operation ${i} (${op}) carries a value over ${limits.valueBytes} characters of JSON`, `[${i}].value`)
        return { op, path, value: o.value }
      case 'remove':
        return { op, path }
      default: {
        const from = o.from
        if (typeof from !== 'string') throw malformed(`operation ${i} (${op}) has no "from" string`)
        parsePointer(from)
        return { op: op === 'move' ? 'move' : 'copy', from, path }
      }
    }
  })
}

/** A patch that does not fit the resource as it is now (RFC 5789 §2.2 "conflicting state"). */
function conflict (diagnostics: string): Error {
  return outcomeError(409, 'conflict', `JSON Patch cannot be applied: ${diagnostics}`)
}

type Container = Record<string, unknown> | unknown[]

function isContainer (v: unknown): v is Container {
  return v !== null && typeof v === 'object'
}

function has (parent: Container, token: string): boolean {
  if (Array.isArray(parent)) return ARRAY_INDEX.test(token) && Number(token) < parent.length
  return Object.hasOwn(parent, token)
}

function child (parent: Container, token: string): unknown {
  return Array.isArray(parent) ? parent[Number(token)] : parent[token]
}

/** Walks to the container holding the pointer's last token. */
function locate (doc: unknown, pointer: string): { parent: Container, token: string } {
  const tokens = parsePointer(pointer)
  const last = tokens.pop()
  if (last === undefined) throw conflict('an operation on the whole document is not supported')
  let node: unknown = doc
  for (const t of tokens) {
    if (!isContainer(node) || !has(node, t)) throw conflict(`"${pointer}" does not exist`)
    node = child(node, t)
  }
  if (!isContainer(node)) throw conflict(`the parent of "${pointer}" is not an object or array`)
  return { parent: node, token: last }
}

function get (doc: unknown, pointer: string): unknown {
  const { parent, token } = locate(doc, pointer)
  if (!has(parent, token)) throw conflict(`"${pointer}" does not exist`)
  return child(parent, token)
}

function set (parent: Container, token: string, value: unknown): void {
  // defineProperty, not assignment: no key can ever invoke a setter on the prototype chain
  Object.defineProperty(parent, token, { value, writable: true, enumerable: true, configurable: true })
}

function add (doc: unknown, pointer: string, value: unknown): void {
  const { parent, token } = locate(doc, pointer)
  if (!Array.isArray(parent)) {
    set(parent, token, value)
    return
  }
  if (token === '-') {
    parent.push(value)
    return
  }
  if (!ARRAY_INDEX.test(token) || Number(token) > parent.length) throw conflict(`"${pointer}" is not an index of the array`)
  parent.splice(Number(token), 0, value)
}

function remove (doc: unknown, pointer: string): unknown {
  const { parent, token } = locate(doc, pointer)
  if (!has(parent, token)) throw conflict(`"${pointer}" does not exist`)
  const old = child(parent, token)
  if (Array.isArray(parent)) parent.splice(Number(token), 1)
  else delete parent[token]
  return old
}

/**
 * Applies a JSON Patch (RFC 6902 §4) to a copy of `document`; the original is untouched, so
 * the patch applies atomically — all of it or nothing (§5). Pure.
 *
 * @throws OperationOutcomeError 409 when an operation does not fit the document (a missing
 *   target, an index past the end, or a failed test), as RFC 5789 §2.2 advises
 */
export function applyJsonPatch<T> (document: T, operations: readonly PatchOperation[], limits: PatchLimits = PATCH_LIMITS): T {
  const doc: unknown = structuredClone(document)
  // an upper bound of the document's JSON length, checked before each operation that can
  // grow it, so no operation ever builds what the bound refuses
  let size = jsonLength(document)
  const grow = (by: number, i: number): void => {
    size += by
    if (size > limits.resultBytes) throw tooCostly(`operation ${i} would make the resource larger than ${limits.resultBytes} characters of JSON`, `[${i}]`)
  }
  operations.forEach((o, i) => {
    switch (o.op) {
      case 'add':
        grow(jsonLength(o.value), i)
        add(doc, o.path, structuredClone(o.value))
        break
      case 'remove':
        remove(doc, o.path)
        break
      case 'replace':
        get(doc, o.path)
        grow(jsonLength(o.value), i)
        remove(doc, o.path)
        add(doc, o.path, structuredClone(o.value))
        break
      case 'move':
        if (o.path.startsWith(`${o.from}/`)) throw conflict(`operation ${i} moves "${o.from}" into itself`)
        add(doc, o.path, remove(doc, o.from))
        break
      case 'copy': {
        const value = get(doc, o.from)
        grow(jsonLength(value), i)
        add(doc, o.path, structuredClone(value))
        break
      }
      case 'test':
        if (!jsonEqual(get(doc, o.path), o.value)) throw conflict(`operation ${i} (test) failed at "${o.path}"`)
        break
    }
  })
  return doc as T
}

/**
 * A JSON Pointer as a FHIRPath on the resource, for OperationOutcome.issue.expression:
 * '/note/0/text' on Task becomes 'Task.note[0].text'; '/note/-' becomes 'Task.note'.
 */
export function pointerToFhirPath (resourceType: string, pointer: string): string {
  let out = resourceType
  for (const t of parsePointer(pointer)) {
    if (t === '-') continue
    out += ARRAY_INDEX.test(t) ? `[${t}]` : `.${t}`
  }
  return out
}

/**
 * Issues for operations that would write outside the `writable` top-level elements, each
 * with the FHIRPath of the refused element; `test` and the source of `copy` only read, so
 * they may point anywhere.
 */
export function patchPathIssues (resourceType: string, operations: readonly PatchOperation[], writable: readonly string[]): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = []
  for (const o of operations) {
    const written = o.op === 'test' ? [] : o.op === 'move' ? [o.from, o.path] : [o.path]
    for (const pointer of written) {
      const top = parsePointer(pointer)[0]
      if (top === undefined || !writable.includes(top)) {
        issues.push(issue('error', 'business-rule',
          `JSON Patch may not ${o.op} "${pointer}": only ${writable.join(', ')} may be changed`, top === undefined ? resourceType : pointerToFhirPath(resourceType, pointer)))
      }
    }
  }
  return issues
}
