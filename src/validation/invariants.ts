import { parseFhirPath, toTypedValue } from '@medplum/core'
import type { TypedValue } from '@medplum/core'
import { compileLite, isMet, nonEmpty, NotCompiled } from './fhirpath-lite.ts'
import { isJsonObject } from './json.ts'
import { jsonEqual } from '../json-equal.ts'
import type { JsonObject } from './json.ts'

/**
 * FHIRPath invariants (ElementDefinition.constraint), compiled once and run on JSON nodes.
 * Most invariants (base R4 and the profiles') stay within the FHIRPath subset fhirpath-lite.ts
 * compiles into plain closures over the JSON, which is far cheaper than evaluating them with a
 * FHIRPath engine on every node (~3 µs each with @medplum/core's engine). A few frequent ones are written
 * out by hand (ref-1, per-1, dom-2..5, obs-7). Everything else is parsed once with
 * @medplum/core's FHIRPath engine and evaluated with it.
 */

/** Where a node sits: the resource holding it and the resource at the root of the containment. */
export interface InvariantScope {
  /** %resource: the resource the node belongs to (a contained resource for its own nodes) */
  readonly resource: JsonObject
  /** %rootResource: the container of a contained resource, else the resource itself */
  readonly rootResource: JsonObject
}

/**
 * Runs one invariant on a node.
 * @returns true (met), false (not met), or an Error when it could not be evaluated
 */
export type InvariantCheck = (node: JsonObject, scope: InvariantScope) => boolean | Error

/** A compiler with its own cache of compiled expressions (one per validator). */
export interface InvariantCompiler {
  compile: (key: string, expression: string) => InvariantCheck
}

/**
 * Creates a compiler; compiled checks are cached by key and expression.
 * @returns the compiler
 */
export function createInvariantCompiler (isResourceType: (name: string) => boolean): InvariantCompiler {
  const cache = new Map<string, InvariantCheck>()
  return {
    compile (key, expression) {
      const id = `${key}\u0000${expression}`
      let check = cache.get(id)
      if (!check) {
        check = HAND_WRITTEN[key]?.(expression) ?? compileFast(expression, isResourceType)
        cache.set(id, check)
      }
      return check
    }
  }
}

/**
 * The lite compiler (fhirpath-lite.ts) where it covers the expression, @medplum/core's engine
 * otherwise; a lite closure that meets something it cannot settle hands over to the engine.
 */
function compileFast (expression: string, isResourceType: (name: string) => boolean): InvariantCheck {
  const lite = compileLite(expression, isResourceType)
  let slow: InvariantCheck | undefined
  const viaMedplum: InvariantCheck = (node, scope) => {
    slow ??= compileWithMedplum(expression)
    return slow(node, scope)
  }
  if (!lite) {
    return viaMedplum
  }
  return (node, scope) => {
    try {
      return isMet(lite(node, scope))
    } catch (err) {
      if (err instanceof NotCompiled) {
        return viaMedplum(node, scope)
      }
      return err instanceof Error ? err : new Error(String(err))
    }
  }
}

/** Hand-written forms of frequent base invariants, used only when the expression is R4's own. */
const HAND_WRITTEN: Readonly<Record<string, (expression: string) => InvariantCheck | undefined>> = {
  // ref-1: a local reference needs a contained resource with that id (references.html §2.3.0.4);
  // "#" alone refers to the container itself.
  'ref-1': (expression) => expression.startsWith("reference.startsWith('#').not()")
    ? (node, scope) => {
        const ref = node.reference
        if (typeof ref !== 'string' || !ref.startsWith('#') || ref === '#') {
          return true
        }
        const held = scope.rootResource.contained
        // FHIRPath navigation (§3) reads a single object as a collection of one, as medplum does.
        const contained: unknown[] = Array.isArray(held) ? held : held === undefined ? [] : [held]
        for (const c of contained) {
          // c.id === ref.slice(1), without slicing on every call
          if (isJsonObject(c) && (isLocalId(c.id, ref) || (Array.isArray(c.id) && c.id.some((id) => isLocalId(id, ref))))) {
            return true
          }
        }
        return false
      }
    : undefined,
  // per-1: start <= end, compared the FHIRPath way: at the precision both share; when they
  // agree that far but one is more precise the comparison is empty, which does not meet the
  // invariant (the Java validator rejects start "2023-06-21" with end "2023-06-21T06:20:00Z").
  'per-1': (expression) => expression.startsWith('start.hasValue().not() or end.hasValue().not()')
    ? (node) => {
        const { start, end } = node
        return typeof start !== 'string' || typeof end !== 'string' || startNotAfterEnd(start, end)
      }
    : undefined,
  // obs-7: no component may repeat the Observation's own code.
  'obs-7': (expression) => expression === 'value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()'
    ? (node) => {
        let hasValue = false
        for (const key in node) {
          if (key.startsWith('value') && nonEmpty(node[key]) !== undefined) {
            hasValue = true
            break
          }
        }
        if (!hasValue) {
          return true
        }
        const own = codingsOf(node.code)
        const components = node.component
        if (!Array.isArray(components)) {
          return true
        }
        for (const c of components) {
          if (!isJsonObject(c)) {
            continue
          }
          for (const x of codingsOf(c.code)) {
            for (const y of own) {
              if (jsonEqual(x, y)) {
                return false
              }
            }
          }
        }
        return true
      }
    : undefined,
  // ext-1: an extension has a value or nested extensions, not both.
  'ext-1': (expression) => expression === 'extension.exists() != value.exists()'
    ? (node) => {
        let hasValue = false
        for (const key in node) {
          if (key.startsWith('value') && nonEmpty(node[key]) !== undefined) {
            hasValue = true
            break
          }
        }
        const extension = node.extension
        return (Array.isArray(extension) && extension.length > 0) !== hasValue
      }
    : undefined,
  'dom-2': (expression) => expression === 'contained.contained.empty()'
    ? (node) => everyContained(node, hasNoContained)
    : undefined,
  'dom-4': (expression) => expression === 'contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()'
    ? (node) => everyContained(node, hasNoVersionMeta)
    : undefined,
  'dom-5': (expression) => expression === 'contained.meta.security.empty()'
    ? (node) => everyContained(node, hasNoSecurityMeta)
    : undefined,
  // dom-3 (every contained resource is referenced) is left out, as by @medplum/core: R4's own
  // expression is known to be unreliable (FHIR-25185) and a gateway must not reject on it.
  'dom-3': () => () => true,
  // txt-1/txt-2 need htmlChecks(), which no JavaScript FHIRPath engine has; the narrative's
  // shape is checked structurally instead.
  'txt-1': () => () => true,
  'txt-2': () => () => true
}

/** Whether `id` is the id a local reference `#id` names (an array of ids is navigated as FHIRPath flattens it, §3). */
function isLocalId (id: unknown, ref: string): boolean {
  return typeof id === 'string' && id.length === ref.length - 1 && ref.endsWith(id)
}

function codingsOf (concept: unknown): unknown[] {
  return isJsonObject(concept) && Array.isArray(concept.coding) ? concept.coding : []
}

const hasNoContained = (c: JsonObject): boolean => c.contained === undefined
const hasNoVersionMeta = (c: JsonObject): boolean => !isJsonObject(c.meta) || (c.meta.versionId === undefined && c.meta.lastUpdated === undefined)
const hasNoSecurityMeta = (c: JsonObject): boolean => !isJsonObject(c.meta) || c.meta.security === undefined

/** Whether every contained resource (JSON object) of a node passes a test. */
function everyContained (node: JsonObject, test: (contained: JsonObject) => boolean): boolean {
  const contained = node.contained
  if (!Array.isArray(contained)) {
    return true
  }
  for (const c of contained) {
    if (isJsonObject(c) && !test(c)) {
      return false
    }
  }
  return true
}

function startNotAfterEnd (start: string, end: string): boolean {
  const hasTime = (v: string): boolean => v.length > 10
  if (hasTime(start) && hasTime(end)) {
    const s = Date.parse(start)
    const e = Date.parse(end)
    return Number.isNaN(s) || Number.isNaN(e) || s <= e
  }
  // Dates (YYYY, YYYY-MM, YYYY-MM-DD), or a date against a dateTime: compare the date parts.
  const a = start.slice(0, 10)
  const b = end.slice(0, 10)
  const common = Math.min(a.length, b.length)
  const x = a.slice(0, common)
  const y = b.slice(0, common)
  if (x !== y) {
    return x < y
  }
  return start.length === end.length
}

/** Evaluates with @medplum/core's FHIRPath engine, the expression parsed once. */
function compileWithMedplum (expression: string): InvariantCheck {
  let parsed: ReturnType<typeof parseFhirPath>
  try {
    parsed = parseFhirPath(expression)
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err))
    return () => error
  }
  return (node, scope) => {
    try {
      const input = toTypedValue(node)
      const variables: Record<string, TypedValue> = {
        '%resource': toTypedValue(scope.resource),
        '%rootResource': toTypedValue(scope.rootResource),
        '%context': input,
        '%ucum': { type: 'string', value: 'http://unitsofmeasure.org' }
      }
      const result = parsed.eval({ variables }, [input])
      // An empty result is not a failure (FHIRPath §5.1: empty propagates); only false is.
      return !(result.length === 1 && result[0]?.value === false)
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
  }
}
