import { parseFhirPath, toTypedValue } from '@medplum/core'
import type { ElementDefinition, OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import type { JsonObject } from './json.ts'
import { isJsonObject } from './json.ts'

/**
 * A profile compiled once, at start-up, into a tree of checks (validators.md §7.2): what the
 * profile's snapshot adds to base R4, checked on a resource that base R4 validation (done
 * elsewhere) has already seen. It replaces @medplum/core's `validateResource({profile})`, which
 * re-parses the StructureDefinition on every call (~3 ms) and skips or mis-checks several
 * profile features (validators.md §3). Checked here:
 * - cardinality narrowed by the profile (min above, max below the base), on any path;
 * - fixed[x] (exact) and pattern[x] (the instance contains the pattern; on a repeating element
 *   every item, R4 profiling.html §5.1.0.5), maxLength, minValue[x]/maxValue[x];
 * - choice types narrowed by the profile (`value[x]` allowing only Quantity);
 * - slices: items matched by `value`/`pattern` discriminators (on a child path or `$this`), by
 *   `type`, by `exists`, and extensions by url (the slice's type profile); min/max per slice,
 *   even when the sliced element is absent; the slice's own constraints on the items it
 *   matched; closed slicing rejects unmatched items;
 * - FHIRPath invariants the profile declares (not base ones: base R4 validation runs them).
 * Slices discriminated by `profile` are not matched (nothing is checked for them).
 */

/** Runs a compiled profile on one resource. */
export type CompiledProfileCheck = (resource: JsonObject, path: string) => OperationOutcomeIssue[]

interface Node {
  readonly element: ElementDefinition
  /** JSON property name without [x], e.g. "value" */
  readonly name: string
  readonly choice: boolean
  readonly children: Node[]
  readonly slices: Node[]
}

/**
 * Compiles a profile snapshot.
 * @param profile - the profile, with snapshot
 * @param baseConstraintKeys - keys of every invariant of base R4 (those are checked by base validation)
 * @returns the check
 */
export function compileProfile (profile: StructureDefinition, baseConstraintKeys: ReadonlySet<string>): CompiledProfileCheck {
  const elements = profile.snapshot?.element ?? []
  const root = buildTree(elements)
  if (!root) {
    throw new Error(`Profile ${profile.url ?? '?'} has an empty snapshot`)
  }
  const invariants = compileInvariants(elements, baseConstraintKeys)
  return (resource, path) => {
    const found: OperationOutcomeIssue[] = []
    checkChildren(root, resource, path, found)
    for (const invariant of invariants) {
      invariant(resource, path, found)
    }
    return found
  }
}

/** Builds the element tree by id: "A.b:s.c" is child c of slice s of b. */
function buildTree (elements: readonly ElementDefinition[]): Node | undefined {
  const byId = new Map<string, Node>()
  let root: Node | undefined
  for (const element of elements) {
    const id = element.id ?? element.path ?? ''
    const dot = id.lastIndexOf('.')
    const last = dot < 0 ? id : id.slice(dot + 1)
    const colon = last.indexOf(':')
    const rawName = colon < 0 ? last : last.slice(0, colon)
    const node: Node = {
      element,
      name: rawName.endsWith('[x]') ? rawName.slice(0, -3) : rawName,
      choice: rawName.endsWith('[x]'),
      children: [],
      slices: []
    }
    byId.set(id, node)
    if (dot < 0) {
      root = node
      continue
    }
    if (colon >= 0) {
      byId.get(id.slice(0, dot + 1 + colon))?.slices.push(node)
    } else {
      byId.get(id.slice(0, dot))?.children.push(node)
    }
  }
  return root
}

function checkChildren (node: Node, obj: JsonObject, path: string, found: OperationOutcomeIssue[]): void {
  for (const child of node.children) {
    const { key, values, typeSuffix } = valuesOf(child, obj)
    const where = `${path}.${child.name}`
    checkElement(child, values, where, key !== undefined && Array.isArray(obj[key]), typeSuffix, found)
  }
}

/** The values of an element in an object: `name`, or for a choice `name<Type>`. */
function valuesOf (node: Node, obj: JsonObject): { key: string | undefined, values: unknown[], typeSuffix: string | undefined } {
  if (!node.choice) {
    const value = obj[node.name]
    return { key: node.name, values: value === undefined ? [] : Array.isArray(value) ? value : [value], typeSuffix: undefined }
  }
  for (const key of Object.keys(obj)) {
    if (key.startsWith(node.name) && key.length > node.name.length && /^[A-Z]/.test(key.slice(node.name.length))) {
      const value = obj[key]
      return { key, values: Array.isArray(value) ? value : [value], typeSuffix: key.slice(node.name.length) }
    }
  }
  return { key: undefined, values: [], typeSuffix: undefined }
}

function checkElement (
  node: Node,
  values: unknown[],
  where: string,
  indexed: boolean,
  typeSuffix: string | undefined,
  found: OperationOutcomeIssue[]
): void {
  const e = node.element
  const at = (i: number): string => indexed ? `${where}[${i}]` : where
  const baseMin = e.base?.min ?? 0
  const min = e.min ?? 0
  if (min > baseMin && values.length < min) {
    found.push(values.length === 0
      ? issue('error', 'structure', `Missing required element '${node.name}' (${where})`, where)
      : issue('error', 'structure', `Invalid number of values: expected at least ${min}, found ${values.length} (${where})`, where))
  }
  const max = e.max === undefined || e.max === '*' ? Infinity : Number(e.max)
  const baseMax = e.base?.max === undefined || e.base.max === '*' ? Infinity : Number(e.base.max)
  if (max < baseMax && values.length > max) {
    found.push(max === 0
      ? issue('error', 'structure', `Element '${node.name}' is not allowed by the profile (${where})`, where)
      : issue('error', 'structure', `Invalid number of values: expected at most ${max}, found ${values.length} (${where})`, where))
  }
  if (values.length === 0) {
    checkSlices(node, values, where, indexed, found)
    return
  }
  if (node.choice && typeSuffix !== undefined) {
    const allowed = (e.type ?? []).map((t) => t.code ?? '')
    if (allowed.length > 0 && !allowed.some((code) => capitalise(code) === typeSuffix)) {
      found.push(issue('error', 'structure', `The profile allows ${node.name} of type ${allowed.join(' or ')}, not ${typeSuffix} (${where})`, where))
    }
  }
  const fixed = choiceValue(e, 'fixed')
  const pattern = choiceValue(e, 'pattern')
  values.forEach((value, i) => {
    if (fixed !== undefined && !deepEqual(value, fixed)) {
      found.push(issue('error', 'value', `${at(i)} must be exactly ${JSON.stringify(fixed)} (fixed by the profile)`, at(i)))
    }
    if (pattern !== undefined && !containsPattern(value, pattern)) {
      found.push(issue('error', 'value', `${at(i)} does not match the pattern ${JSON.stringify(pattern)} required by the profile`, at(i)))
    }
    if (e.maxLength !== undefined && typeof value === 'string' && value.length > e.maxLength) {
      found.push(issue('error', 'value', `${at(i)} is longer than the profile's maxLength ${e.maxLength}`, at(i)))
    }
    checkRange(e, value, at(i), found)
    if (isJsonObject(value)) {
      checkChildren(node, value, at(i), found)
    }
  })
  checkSlices(node, values, where, indexed, found)
}

/** minValue[x]/maxValue[x] on numbers, Quantities (same unit system assumed) and dates. */
function checkRange (e: ElementDefinition, value: unknown, where: string, found: OperationOutcomeIssue[]): void {
  const minValue = choiceValue(e, 'minValue')
  const maxValue = choiceValue(e, 'maxValue')
  if (minValue === undefined && maxValue === undefined) {
    return
  }
  const comparable = (v: unknown): number | string | undefined => {
    if (typeof v === 'number' || typeof v === 'string') {
      return v
    }
    return isJsonObject(v) && typeof v.value === 'number' ? v.value : undefined
  }
  const actual = comparable(value)
  const low = comparable(minValue)
  const high = comparable(maxValue)
  if (actual === undefined) {
    return
  }
  if (low !== undefined && typeof low === typeof actual && actual < low) {
    found.push(issue('error', 'value', `${where} is below the profile's minimum ${String(low)}`, where))
  }
  if (high !== undefined && typeof high === typeof actual && actual > high) {
    found.push(issue('error', 'value', `${where} is above the profile's maximum ${String(high)}`, where))
  }
}

function checkSlices (node: Node, values: unknown[], where: string, indexed: boolean, found: OperationOutcomeIssue[]): void {
  if (node.slices.length === 0) {
    return
  }
  const matchers = node.slices.map((slice) => ({ slice, matches: sliceMatcher(node, slice) }))
  const matched = new Array<boolean>(values.length).fill(false)
  for (const { slice, matches } of matchers) {
    if (matches === undefined) {
      continue // a discriminator we cannot evaluate (profile): nothing is claimed about it
    }
    const items: { value: unknown, index: number }[] = []
    values.forEach((value, index) => {
      if (!matched[index] && matches(value)) {
        matched[index] = true
        items.push({ value, index })
      }
    })
    const name = slice.element.sliceName ?? '?'
    const min = slice.element.min ?? 0
    const max = slice.element.max === undefined || slice.element.max === '*' ? Infinity : Number(slice.element.max)
    if (items.length < min || items.length > max) {
      found.push(issue('error', 'structure',
        `Slice '${name}' of ${where} needs ${min}..${slice.element.max ?? '*'} items, found ${items.length}`, where))
    }
    for (const { value, index } of items) {
      const at = indexed ? `${where}[${index}]` : where
      const pattern = choiceValue(slice.element, 'pattern')
      const fixed = choiceValue(slice.element, 'fixed')
      if (pattern !== undefined && !containsPattern(value, pattern)) {
        found.push(issue('error', 'value', `${at} does not match the pattern of slice '${name}'`, at))
      }
      if (fixed !== undefined && !deepEqual(value, fixed)) {
        found.push(issue('error', 'value', `${at} must be exactly the fixed value of slice '${name}'`, at))
      }
      if (isJsonObject(value)) {
        checkChildren(slice, value, at, found)
      }
    }
  }
  if (node.element.slicing?.rules === 'closed') {
    matched.forEach((m, index) => {
      if (!m) {
        const at = indexed ? `${where}[${index}]` : where
        found.push(issue('error', 'structure', `${at} matches none of the slices of ${where}, and the slicing is closed`, at))
      }
    })
  }
}

/** A predicate for the items of one slice, from the sliced element's discriminators. */
function sliceMatcher (sliced: Node, slice: Node): ((value: unknown) => boolean) | undefined {
  const discriminators = sliced.element.slicing?.discriminator ?? []
  const isExtension = sliced.name === 'extension' || sliced.name === 'modifierExtension'
  const tests: ((value: unknown) => boolean)[] = []
  for (const d of discriminators) {
    const path = d.path ?? '$this'
    if (isExtension && path === 'url' && (d.type === 'value' || d.type === undefined)) {
      const url = slice.element.type?.[0]?.profile?.[0] ?? fixedAt(slice, ['url'])
      if (url === undefined) {
        return undefined
      }
      tests.push((v) => isJsonObject(v) && v.url === url)
      continue
    }
    const steps = path === '$this' ? [] : path.split('.')
    if (steps.some((s) => !/^[a-zA-Z]+$/.test(s))) {
      return undefined // resolve(), ofType(), extension('…'): not compiled yet
    }
    if (d.type === 'value' || d.type === 'pattern') {
      const expected = fixedAt(slice, steps)
      if (expected === undefined) {
        return undefined
      }
      tests.push((v) => valuesAt(v, steps).some((x) => d.type === 'value' ? deepEqual(x, expected) || containsPattern(x, expected) : containsPattern(x, expected)))
    } else if (d.type === 'type') {
      const target = steps.length === 0 ? slice : findDescendant(slice, steps)
      const codes = (target?.element.type ?? []).map((t) => t.code)
      if (codes.length === 0) {
        return undefined
      }
      tests.push((v) => valuesAt(v, steps).some((x) => isJsonObject(x) && typeof x.resourceType === 'string' && codes.includes(x.resourceType)))
    } else if (d.type === 'exists') {
      const target = findDescendant(slice, steps)
      if (!target) {
        return undefined
      }
      const present = (target.element.min ?? 0) > 0 ? true : target.element.max === '0' ? false : undefined
      if (present === undefined) {
        return undefined
      }
      tests.push((v) => (valuesAt(v, steps).length > 0) === present)
    } else {
      return undefined
    }
  }
  return tests.length === 0 ? undefined : (v) => tests.every((t) => t(v))
}

/** The fixed or pattern value the slice sets at a child path ([] = the slice element itself). */
function fixedAt (slice: Node, steps: readonly string[]): unknown {
  const target = steps.length === 0 ? slice : findDescendant(slice, steps)
  if (!target) {
    return undefined
  }
  return choiceValue(target.element, 'fixed') ?? choiceValue(target.element, 'pattern')
}

function findDescendant (node: Node, steps: readonly string[]): Node | undefined {
  let current: Node | undefined = node
  for (const step of steps) {
    current = current?.children.find((c) => c.name === step)
  }
  return current
}

function valuesAt (value: unknown, steps: readonly string[]): unknown[] {
  let current: unknown[] = [value]
  for (const step of steps) {
    current = current.flatMap((v) => {
      if (!isJsonObject(v)) {
        return []
      }
      const next = v[step]
      return next === undefined ? [] : Array.isArray(next) ? next : [next]
    })
  }
  return current
}

/** The value of `fixed[x]`, `pattern[x]`, `minValue[x]`… on an element, whatever its type suffix. */
function choiceValue (e: ElementDefinition, prefix: string): unknown {
  for (const [key, value] of Object.entries(e)) {
    if (key.startsWith(prefix) && key.length > prefix.length && /^[A-Z]/.test(key.slice(prefix.length))) {
      return value
    }
  }
  return undefined
}

/** FHIRPath invariants the profile declares, pre-parsed, run on the nodes of their element. */
function compileInvariants (
  elements: readonly ElementDefinition[],
  baseConstraintKeys: ReadonlySet<string>
): ((resource: JsonObject, path: string, found: OperationOutcomeIssue[]) => void)[] {
  const out: ((resource: JsonObject, path: string, found: OperationOutcomeIssue[]) => void)[] = []
  const rootPath = elements[0]?.path ?? ''
  for (const e of elements) {
    for (const c of e.constraint ?? []) {
      if (baseConstraintKeys.has(c.key ?? '') || c.severity !== 'error' || !c.expression || e.id?.includes(':')) {
        continue
      }
      const relative = (e.path ?? rootPath).slice(rootPath.length + 1).replaceAll('[x]', '')
      const expression = parseFhirPath(c.expression)
      const nodesPath = relative === '' ? undefined : parseFhirPath(relative)
      const key = c.key ?? '?'
      const human = c.human ?? c.expression
      out.push((resource, path, found) => {
        try {
          const root = toTypedValue(resource)
          // %resource/%rootResource: the resource the profile is applied to; %context: the node
          // the constraint is on (FHIR fhirpath.html §2.1.9.1 "FHIR Specific Variables").
          const variables = { '%resource': root, '%rootResource': root }
          const nodes = nodesPath === undefined ? [root] : nodesPath.eval({ variables }, [root])
          for (const node of nodes) {
            const result = expression.eval({ variables: { ...variables, '%context': node } }, [node])
            if (!(result.length === 1 && result[0]?.value === true) && result.length > 0) {
              found.push(issue('error', 'invariant', `Constraint ${key} not met: ${human} (${path}; FHIRPath: ${c.expression ?? ''})`, path))
            }
          }
        } catch (err) {
          // Not being able to evaluate is our limit, not the sender's error: warn, never reject.
          found.push(issue('warning', 'processing', `Constraint ${key} could not be evaluated: ${err instanceof Error ? err.message : String(err)} (${path})`, path))
        }
      })
    }
  }
  return out
}

function capitalise (code: string): string {
  return code.charAt(0).toUpperCase() + code.slice(1)
}

/** JSON deep equality. */
export function deepEqual (a: unknown, b: unknown): boolean {
  if (a === b) {
    return true
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a)
    return ka.length === Object.keys(b).length && ka.every((k) => deepEqual(a[k], b[k]))
  }
  return false
}

/**
 * Whether `value` contains `pattern` (R4 ElementDefinition.pattern[x]: every element of the
 * pattern is present with the same value; for arrays, each pattern item is in some value item).
 */
export function containsPattern (value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    return Array.isArray(value) && pattern.every((p) => value.some((v) => containsPattern(v, p)))
  }
  if (isJsonObject(pattern)) {
    return isJsonObject(value) && Object.entries(pattern).every(([k, p]) => containsPattern(value[k], p))
  }
  return value === pattern
}
