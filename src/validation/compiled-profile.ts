import type { ElementDefinition, OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import type { InvariantCompiler, InvariantScope } from './invariants.ts'
import { createInvariantCompiler } from './invariants.ts'
import type { JsonObject } from './json.ts'
import { isJsonObject } from './json.ts'
import { jsonEqual } from '../json-equal.ts'

/**
 * A profile compiled once, at start-up, into a tree of checks (docs/decisions/compiled-validator.md): what the
 * profile's snapshot adds to base R4, checked on a resource that base R4 validation (done
 * elsewhere) has already seen. It replaces @medplum/core's `validateResource({profile})`, which
 * re-parses the StructureDefinition on every call (~3 ms) and skips or mis-checks several
 * profile features (bindings, slices, maxLength, min/max). Checked here:
 * - cardinality narrowed by the profile (min above, max below the base), on any path;
 * - fixed[x] (exact) and pattern[x] (the instance contains the pattern; on a repeating element
 *   every item, R4 profiling.html §5.1.0.5), maxLength, minValue[x]/maxValue[x];
 * - choice types narrowed by the profile (`value[x]` allowing only Quantity);
 * - minValueDuration/maxValueDuration on dates, relative to the clock it is given;
 * - required bindings the profile adds, to value sets expandable here (code, Coding,
 *   CodeableConcept);
 * - slices: items matched by `value`/`pattern` discriminators (on a child path or `$this`), by
 *   `type`, by `exists`, by `profile` (running the named profile), and extensions by url (the
 *   slice's type profile); min/max per slice, even when the sliced element is absent; the
 *   slice's own constraints on the items it matched; closed slicing rejects unmatched items;
 * - resources in an element whose type names profiles (ElementDefinition.type.profile);
 * - FHIRPath invariants the profile declares (not base ones: base R4 validation runs them).
 * Only the elements where the profile says more than base R4 are walked (see prune).
 * Discriminator paths with functions (resolve(), extension('…'), ofType()) are not matched:
 * nothing is claimed about such slices.
 */

/** Runs a compiled profile on one resource. */
export type CompiledProfileCheck = (resource: JsonObject, path: string, container?: JsonObject) => OperationOutcomeIssue[]

/**
 * The two passes of a compiled profile, apart: the probe (no FHIRPath strings built) and the
 * reporting pass. They must agree: the probe finds nothing exactly when the reporting pass
 * finds nothing (test/unit/validation/walks-agree.test.ts).
 */
export interface CompiledProfilePasses {
  /** whether the probe finds nothing */
  readonly holds: (resource: JsonObject, path: string, container?: JsonObject) => boolean
  /** the reporting pass: every issue, with its FHIRPath */
  readonly report: CompiledProfileCheck
}

interface Node {
  readonly element: ElementDefinition
  /** JSON property name without [x], e.g. "value" */
  readonly name: string
  readonly choice: boolean
  readonly children: Node[]
  readonly slices: Node[]
  /** fixed[x], pattern[x], minValue[x], maxValue[x] of the element, read once */
  readonly fixed: unknown
  readonly pattern: unknown
  /** {@link containsPattern} against `pattern`, compiled once (undefined without a pattern) */
  readonly matchesPattern: ((value: unknown) => boolean) | undefined
  readonly minValue: unknown
  readonly maxValue: unknown
  /** ElementDefinition.type.profile: a resource in this element must meet one (datatype profiles are checked elsewhere) */
  readonly typeProfiles: readonly string[]
  /** the slice matchers, built on first use */
  matchers: readonly SliceMatcher[] | undefined
  /** whether the element has rules when absent (a raised minimum, required slices) */
  checkAbsent: boolean
  /** for a choice: the JSON suffixes of the types the profile allows ("Quantity", "String") */
  readonly typeSuffixes: ReadonlySet<string>
  /** for a choice: the JSON property names of those types ("valueQuantity") */
  readonly choiceKeys: ReadonlySet<string>
  /** a required binding the profile adds, expanded (set by {@link attachBindings}) */
  binding: Binding | undefined
  /** cardinality, read once: min, max (Infinity for *), and whether they narrow the base */
  readonly min: number
  readonly max: number
  readonly minRaised: boolean
  readonly maxLowered: boolean
  readonly maxLength: number | undefined
  /** read once from the element: the hot paths never read ElementDefinitions, whose shapes vary */
  readonly sliceName: string
  readonly closed: boolean
}

interface Binding {
  readonly url: string
  /** system → its codes in the value set */
  readonly bySystem: ReadonlyMap<string, ReadonlySet<string>>
  readonly codes: ReadonlySet<string>
}

interface SliceMatcher {
  readonly slice: Node
  /** undefined when the discriminator cannot be evaluated: nothing is claimed about the slice */
  readonly matches: ((value: unknown, ctx: Ctx) => boolean) | undefined
}

/**
 * Compiles a profile snapshot.
 * @param profile - the profile, with snapshot
 * @param baseConstraintKeys - keys of every invariant of base R4 (those are checked by base validation)
 * @returns the check
 */
export function compileProfile (
  profile: StructureDefinition,
  baseConstraintKeys: ReadonlySet<string>,
  options: CompileOptions = {}
): CompiledProfileCheck {
  return checkOfPasses(compileProfilePasses(profile, baseConstraintKeys, options))
}

/**
 * The check made of a profile's two passes.
 * @param passes - the probe and the reporting pass
 * @returns the check: the probe, then the reporting pass only when the probe finds something
 */
export function checkOfPasses (passes: CompiledProfilePasses): CompiledProfileCheck {
  const { holds, report } = passes
  // Most resources meet their profiles: a first pass that builds no FHIRPath strings says
  // so; only when it finds something does the reporting pass run (the same checks, the
  // issues it returns have their paths).
  return (resource, path, container = resource) => holds(resource, path, container) ? [] : report(resource, path, container)
}

/**
 * Compiles a profile snapshot into its two passes ({@link compileProfile} runs both).
 * @param profile - the profile, with snapshot
 * @param baseConstraintKeys - keys of every invariant of base R4 (those are checked by base validation)
 * @param options - clock, other profiles, invariant compiler, value sets
 * @returns the probe and the reporting pass
 */
export function compileProfilePasses (
  profile: StructureDefinition,
  baseConstraintKeys: ReadonlySet<string>,
  options: CompileOptions = {}
): CompiledProfilePasses {
  const elements = profile.snapshot?.element ?? []
  const root = buildTree(elements)
  if (!root) {
    throw new Error(`Profile ${profile.url ?? '?'} has an empty snapshot`)
  }
  prepareSlices(root)
  attachBindings(root, options.valueSet ?? (() => undefined))
  prune(root)
  const invariants = compileInvariants(elements, baseConstraintKeys, options.invariants ?? createInvariantCompiler(() => false))
  const now = options.now ?? (() => new Date())
  const lookup = options.lookup ?? (() => undefined)
  const run = (resource: JsonObject, path: string, container: JsonObject, probe: boolean): OperationOutcomeIssue[] => {
    const ctx: Ctx = { found: [], now, lookup, probe, scope: undefined }
    checkChildren(root, resource, path, ctx)
    for (const invariant of invariants) {
      invariant(resource, path, container, ctx)
    }
    return ctx.found
  }
  return {
    holds: (resource, path, container = resource) => run(resource, path, container, true).length === 0,
    report: (resource, path, container = resource) => run(resource, path, container, false)
  }
}

/** Options of {@link compileProfile}. */
export interface CompileOptions {
  /** the clock minValueDuration/maxValueDuration are relative to */
  readonly now?: () => Date
  /** other compiled profiles by canonical URL, for type profiles and `profile` discriminators */
  readonly lookup?: (url: string) => ProfileRef | undefined
  /** the invariant compiler to share (its cache); by default one of its own */
  readonly invariants?: InvariantCompiler
  /** expands a value set the profile binds to ("system|code" items), when it can be expanded locally */
  readonly valueSet?: (url: string) => readonly string[] | undefined
}

/** Another profile, for type profiles and `profile` discriminators. */
export interface ProfileRef {
  /** the resource type it constrains */
  readonly type: string
  readonly check: CompiledProfileCheck
}

/** State of one check: the issues found so far and what the profile may refer to. */
interface Ctx {
  readonly found: OperationOutcomeIssue[]
  readonly now: () => Date
  readonly lookup: (url: string) => ProfileRef | undefined
  /** whether only the presence of issues counts: element paths are then left empty, not built */
  readonly probe: boolean
  /** %resource and %rootResource of the resource checked, made on first use by an invariant */
  scope: InvariantScope | undefined
}

const NO_VALUES: readonly unknown[] = Object.freeze([])

/**
 * Required bindings the profile adds (ElementDefinition.binding, strength required), to value
 * sets that can be expanded locally. Base R4's own bindings are checked by base validation.
 */
function attachBindings (node: Node, expand: (url: string) => readonly string[] | undefined): void {
  const b = node.element.binding
  const url = b?.valueSet?.split('|')[0]
  if (b?.strength === 'required' && url !== undefined && !url.startsWith('http://hl7.org/fhir/ValueSet/')) {
    const codings = expand(url)
    if (codings !== undefined) {
      const bySystem = new Map<string, Set<string>>()
      for (const coding of codings) {
        const bar = coding.indexOf('|')
        const system = coding.slice(0, bar)
        const codes = bySystem.get(system) ?? new Set<string>()
        codes.add(coding.slice(bar + 1))
        bySystem.set(system, codes)
      }
      node.binding = { url, bySystem, codes: new Set(codings.map((c) => c.slice(c.indexOf('|') + 1))) }
    }
  }
  for (const child of [...node.children, ...node.slices]) {
    attachBindings(child, expand)
  }
}

/** Builds every slice matcher while the whole tree is there (discriminators read slice children). */
function prepareSlices (node: Node): void {
  if (node.slices.length > 0) {
    node.matchers = node.slices.map((slice) => ({ slice, matches: sliceMatcher(node, slice) }))
  }
  for (const child of [...node.children, ...node.slices]) {
    prepareSlices(child)
  }
}

/**
 * Drops the elements where the profile says no more than base R4 (which base validation
 * checks), so a call walks only what the profile adds: a snapshot repeats every base element.
 * @returns whether the node itself must stay
 */
function prune (node: Node): boolean {
  const kept = node.children.filter(prune)
  node.children.splice(0, node.children.length, ...kept)
  for (const slice of node.slices) {
    prune(slice)
  }
  const e = node.element
  node.checkAbsent = (e.min ?? 0) > (e.base?.min ?? 0) || node.slices.some((slice) => (slice.element.min ?? 0) > 0)
  const max = e.max === undefined || e.max === '*' ? Infinity : Number(e.max)
  const baseMax = e.base?.max === undefined || e.base.max === '*' ? Infinity : Number(e.base.max)
  return kept.length > 0 || node.slices.length > 0 || node.choice || (e.min ?? 0) > (e.base?.min ?? 0) || max < baseMax ||
    node.fixed !== undefined || node.pattern !== undefined || node.minValue !== undefined || node.maxValue !== undefined || node.binding !== undefined ||
    e.maxLength !== undefined || node.typeProfiles.length > 0
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
      slices: [],
      fixed: choiceValue(element, 'fixed'),
      pattern: choiceValue(element, 'pattern'),
      matchesPattern: compilePattern(choiceValue(element, 'pattern')),
      minValue: choiceValue(element, 'minValue'),
      maxValue: choiceValue(element, 'maxValue'),
      typeProfiles: dot >= 0 ? (element.type ?? []).flatMap((t) => t.profile ?? []) : [],
      matchers: undefined,
      checkAbsent: false,
      typeSuffixes: new Set((element.type ?? []).map((t) => capitalise(t.code ?? ''))),
      choiceKeys: new Set((element.type ?? []).map((t) => `${rawName.endsWith('[x]') ? rawName.slice(0, -3) : rawName}${capitalise(t.code ?? '')}`)),
      binding: undefined,
      min: element.min ?? 0,
      max: cardinality(element.max),
      minRaised: (element.min ?? 0) > (element.base?.min ?? 0),
      maxLowered: cardinality(element.max) < cardinality(element.base?.max),
      maxLength: element.maxLength,
      sliceName: element.sliceName ?? '?',
      closed: element.slicing?.rules === 'closed'
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

function checkChildren (node: Node, obj: JsonObject, path: string, ctx: Ctx): void {
  const children = node.children
  for (let c = 0; c < children.length; c++) {
    const child = children[c] as Node
    const where = ctx.probe ? '' : `${path}.${child.name}`
    if (!child.choice) {
      const value = obj[child.name]
      if (value === undefined) {
        if (child.checkAbsent) {
          checkElement(child, NO_VALUES, undefined, where, false, undefined, ctx)
        }
        continue
      }
      const indexed = Array.isArray(value)
      checkElement(child, indexed ? value : undefined, value, where, indexed, undefined, ctx)
      continue
    }
    // A choice: the values of the first `name<Type>` property.
    const name = child.name
    let found: string | undefined
    for (const key in obj) {
      const code = key.charCodeAt(name.length)
      if (code >= 65 && code <= 90 && key.startsWith(name)) {
        found = key
        break
      }
    }
    if (found === undefined) {
      checkElement(child, NO_VALUES, undefined, where, false, undefined, ctx)
      continue
    }
    const value = obj[found]
    const indexed = Array.isArray(value)
    checkElement(child, indexed ? value : undefined, value, where, indexed, found, ctx)
  }
}

/**
 * Checks the values of an element: `values` when it is an array (or absent: empty), else the
 * one value `single` (not wrapped in an array unless slicing needs one).
 */
function checkElement (
  node: Node,
  values: readonly unknown[] | undefined,
  single: unknown,
  where: string,
  indexed: boolean,
  choiceKey: string | undefined,
  ctx: Ctx
): void {
  const e = node.element
  const min = node.min
  const count = values === undefined ? 1 : values.length
  const missing = node.minRaised && count < min
  if (missing) {
    ctx.found.push(count === 0
      ? issue('error', 'structure', `Missing required element '${node.name}' (${where})`, where)
      : issue('error', 'structure', `Invalid number of values: expected at least ${min}, found ${count} (${where})`, where))
  }
  const max = node.max
  if (node.maxLowered && count > max) {
    ctx.found.push(max === 0
      ? issue('error', 'structure', `Element '${node.name}' is not allowed by the profile (${where})`, where)
      : issue('error', 'structure', `Invalid number of values: expected at most ${max}, found ${count} (${where})`, where))
  }
  if (count === 0) {
    // An absent element already reported as missing is one problem, not one per required slice.
    if (!missing) {
      checkSlices(node, NO_VALUES, where, indexed, ctx)
    }
    return
  }
  if (node.choice && choiceKey !== undefined && node.typeSuffixes.size > 0 && !node.choiceKeys.has(choiceKey)) {
    const typeSuffix = choiceKey.slice(node.name.length)
    const allowed = (e.type ?? []).map((t) => t.code ?? '')
    ctx.found.push(issue('error', 'structure', `The profile allows ${node.name} of type ${allowed.join(' or ')}, not ${typeSuffix} (${where})`, where))
  }
  const { fixed, pattern, matchesPattern } = node
  for (let i = 0; i < count; i++) {
    const value = values === undefined ? single : values[i]
    const here = indexed && !ctx.probe ? `${where}[${i}]` : where
    if (fixed !== undefined && !jsonEqual(value, fixed)) {
      ctx.found.push(issue('error', 'value', `${here} must be exactly ${JSON.stringify(fixed)} (fixed by the profile)`, here))
    }
    if (matchesPattern !== undefined && !matchesPattern(value)) {
      ctx.found.push(issue('error', 'value', `${here} does not match the pattern ${JSON.stringify(pattern)} required by the profile`, here))
    }
    if (node.maxLength !== undefined && typeof value === 'string' && value.length > node.maxLength) {
      ctx.found.push(issue('error', 'value', `${here} is longer than the profile's maxLength ${node.maxLength}`, here))
    }
    if (node.minValue !== undefined || node.maxValue !== undefined) {
      checkRange(node, value, here, ctx)
    }
    if (node.binding !== undefined) {
      checkBinding(node.binding, value, here, ctx)
    }
    if ((node.children.length > 0 || node.typeProfiles.length > 0) && isJsonObject(value)) {
      checkChildren(node, value, here, ctx)
      if (node.typeProfiles.length > 0 && typeof value.resourceType === 'string') {
        checkTypeProfiles(node.typeProfiles, value, here, ctx)
      }
    }
  }
  if (node.slices.length > 0) {
    checkSlices(node, values ?? [single], where, indexed, ctx)
  }
}

/** A code, Coding or CodeableConcept against a required binding (terminologies.html §4.1.1.1). */
function checkBinding (binding: Binding, value: unknown, where: string, ctx: Ctx): void {
  let ok: boolean
  if (typeof value === 'string') {
    ok = binding.codes.has(value)
  } else if (isJsonObject(value)) {
    const codings: unknown[] = Array.isArray(value.coding) ? value.coding : [value]
    // A concept with only text says nothing checkable; base validation owns its shape.
    let coded = false
    ok = false
    for (const c of codings) {
      if (isJsonObject(c) && typeof c.code === 'string') {
        coded = true
        if (binding.bySystem.get(typeof c.system === 'string' ? c.system : '')?.has(c.code) === true) {
          ok = true
          break
        }
      }
    }
    ok ||= !coded
  } else {
    ok = true
  }
  if (!ok) {
    ctx.found.push(issue('error', 'code-invalid', `${where} has no code from the value set ${binding.url}, which the profile requires`, where))
  }
}

/** minValue[x]/maxValue[x] on numbers, Quantities (same unit system assumed) and dates. */
function checkRange (node: Node, value: unknown, where: string, ctx: Ctx): void {
  const { minValue, maxValue } = node
  const comparable = (v: unknown): number | string | undefined => {
    if (typeof v === 'number' || typeof v === 'string') {
      return v
    }
    return isJsonObject(v) && typeof v.value === 'number' ? v.value : undefined
  }
  if (typeof value === 'string' && (isDuration(minValue) || isDuration(maxValue))) {
    checkDurationRange(value, minValue, maxValue, where, ctx)
    return
  }
  const actual = comparable(value)
  const low = comparable(minValue)
  const high = comparable(maxValue)
  if (actual === undefined) {
    return
  }
  if (low !== undefined && typeof low === typeof actual && actual < low) {
    ctx.found.push(issue('error', 'value', `${where} is below the profile's minimum ${String(low)}`, where))
  }
  if (high !== undefined && typeof high === typeof actual && actual > high) {
    ctx.found.push(issue('error', 'value', `${where} is above the profile's maximum ${String(high)}`, where))
  }
}

function checkSlices (node: Node, values: readonly unknown[], where: string, indexed: boolean, ctx: Ctx): void {
  if (node.slices.length === 0) {
    return
  }
  node.matchers ??= node.slices.map((slice) => ({ slice, matches: sliceMatcher(node, slice) }))
  const matchers = node.matchers
  // Which slice each value went to (-1: none yet); a value belongs to the first slice it matches.
  const sliceOf: number[] = []
  for (let index = 0; index < values.length; index++) {
    sliceOf.push(-1)
  }
  for (let m = 0; m < matchers.length; m++) {
    const { slice, matches } = matchers[m] as SliceMatcher
    if (matches === undefined) {
      continue // a discriminator we cannot evaluate (profile): nothing is claimed about it
    }
    let count = 0
    for (let index = 0; index < values.length; index++) {
      if (sliceOf[index] === -1 && matches(values[index], ctx)) {
        sliceOf[index] = m
        count++
      }
    }
    const name = slice.sliceName
    const min = slice.min
    const max = slice.max
    if (count < min || count > max) {
      ctx.found.push(issue('error', 'structure',
        `Slice '${name}' of ${where} needs ${min}..${slice.element.max ?? '*'} items, found ${count}`, where))
    }
    for (let index = 0; index < values.length; index++) {
      if (sliceOf[index] !== m) {
        continue
      }
      const value = values[index]
      const at = indexed && !ctx.probe ? `${where}[${index}]` : where
      const { matchesPattern, fixed } = slice
      if (matchesPattern !== undefined && !matchesPattern(value)) {
        ctx.found.push(issue('error', 'value', `${at} does not match the pattern of slice '${name}'`, at))
      }
      if (fixed !== undefined && !jsonEqual(value, fixed)) {
        ctx.found.push(issue('error', 'value', `${at} must be exactly the fixed value of slice '${name}'`, at))
      }
      // a slice may narrow the binding of its element (profiling.html §5.1.0.12), e.g. one category from a WorkWell ValueSet
      if (slice.binding !== undefined) {
        checkBinding(slice.binding, value, at, ctx)
      }
      if (isJsonObject(value)) {
        checkChildren(slice, value, at, ctx)
      }
    }
  }
  if (node.closed) {
    sliceOf.forEach((m, index) => {
      if (m === -1) {
        const at = indexed ? `${where}[${index}]` : where
        ctx.found.push(issue('error', 'structure', `${at} matches none of the slices of ${where}, and the slicing is closed`, at))
      }
    })
  }
}

/** UCUM time units a Duration may use (datatypes.html#Duration), in milliseconds. */
const DURATION_MS: Readonly<Record<string, number>> = {
  a: 365.25 * 86_400_000, mo: 30.4375 * 86_400_000, wk: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, min: 60_000, s: 1000, ms: 1
}

function isDuration (v: unknown): v is JsonObject {
  return isJsonObject(v) && typeof v.value === 'number' && typeof v.code === 'string' && v.code in DURATION_MS
}

/**
 * minValueDuration/maxValueDuration on a date or dateTime: the value may be at most that long
 * before (min) or after (max) the time of validation (R4 ElementDefinition.minValue[x]:
 * "for a date … a Duration is relative to now").
 */
function checkDurationRange (
  value: string,
  minValue: unknown,
  maxValue: unknown,
  where: string,
  ctx: Ctx
): void {
  const at = Date.parse(value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value)
  if (Number.isNaN(at)) {
    return
  }
  const nowMs = ctx.now().getTime()
  const span = (d: JsonObject): number => Number(d.value) * (DURATION_MS[String(d.code)] ?? 0)
  if (isDuration(minValue) && at < nowMs - span(minValue)) {
    ctx.found.push(issue('error', 'value', `${where} is more than ${String(minValue.value)} ${String(minValue.code)} before now, the profile's minimum`, where))
  }
  if (isDuration(maxValue) && at > nowMs + span(maxValue)) {
    ctx.found.push(issue('error', 'value', `${where} is more than ${String(maxValue.value)} ${String(maxValue.code)} after now, the profile's maximum`, where))
  }
}

/** A predicate for the items of one slice, from the sliced element's discriminators. */
function sliceMatcher (sliced: Node, slice: Node): ((value: unknown, ctx: Ctx) => boolean) | undefined {
  const discriminators = sliced.element.slicing?.discriminator ?? []
  const isExtension = sliced.name === 'extension' || sliced.name === 'modifierExtension'
  const tests: ((value: unknown, ctx: Ctx) => boolean)[] = []
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
      // For `value`, equal or containing the value: equal implies containing, so one test.
      const test = compilePattern(expected) ?? ((x: unknown): boolean => containsPattern(x, expected))
      tests.push((v) => someAt(v, steps, 0, test))
    } else if (d.type === 'type') {
      const target = steps.length === 0 ? slice : findDescendant(slice, steps)
      const codes = (target?.element.type ?? []).map((t) => t.code)
      if (codes.length === 0) {
        return undefined
      }
      tests.push((v) => someAt(v, steps, 0, (x) => isJsonObject(x) && typeof x.resourceType === 'string' && codes.includes(x.resourceType)))
    } else if (d.type === 'profile') {
      const target = steps.length === 0 ? slice : findDescendant(slice, steps)
      const urls = (target?.element.type ?? []).flatMap((t) => t.profile ?? [])
      if (urls.length === 0) {
        return undefined
      }
      tests.push((v, ctx) => someAt(v, steps, 0, (x) => urls.some((url) => conformsTo(url, x, ctx))))
    } else if (d.type === 'exists') {
      const target = findDescendant(slice, steps)
      if (!target) {
        return undefined
      }
      const present = (target.element.min ?? 0) > 0 ? true : target.element.max === '0' ? false : undefined
      if (present === undefined) {
        return undefined
      }
      tests.push((v) => someAt(v, steps, 0, () => true) === present)
    } else {
      return undefined
    }
  }
  if (tests.length === 1) {
    return tests[0]
  }
  return tests.length === 0 ? undefined : (v, ctx) => tests.every((t) => t(v, ctx))
}

/**
 * Whether a resource meets a profile: a base R4 URL by its type, a loaded profile by running
 * it (no errors). A profile that is not loaded is not met (it cannot be checked).
 */
function conformsTo (url: string, value: unknown, ctx: Ctx): boolean {
  if (!isJsonObject(value)) {
    return false
  }
  if (url.startsWith(HL7_BASE)) {
    return typeof value.resourceType !== 'string' || value.resourceType === url.slice(HL7_BASE.length)
  }
  const profile = ctx.lookup(url)
  return profile !== undefined && value.resourceType === profile.type &&
    !profile.check(value, 'x').some((i) => i.severity === 'error' || i.severity === 'fatal')
}

const HL7_BASE = 'http://hl7.org/fhir/StructureDefinition/'

/**
 * A resource in an element whose type names profiles (e.g. Parameters.parameter.resource of
 * type Resource(MyPatient)) must meet one of them (profiling.html §5.1.0.3): with one, its
 * issues are reported in place; with several, one error when it meets none.
 */
function checkTypeProfiles (urls: readonly string[], value: JsonObject, where: string, ctx: Ctx): void {
  if (urls.length === 1) {
    const url = urls[0] ?? ''
    if (url.startsWith(HL7_BASE)) {
      return
    }
    const profile = ctx.lookup(url)
    if (profile && profile.type !== value.resourceType) {
      ctx.found.push(issue('error', 'structure', `${where} must be a ${profile.type} meeting ${url}, not a ${String(value.resourceType)}`, where))
    } else if (profile) {
      ctx.found.push(...profile.check(value, where))
    } else {
      ctx.found.push(issue('warning', 'not-supported', `Profile ${url} is not loaded, so ${where} was not checked against it`, where))
    }
    return
  }
  if (!urls.some((url) => conformsTo(url, value, ctx))) {
    ctx.found.push(issue('error', 'structure', `${where} meets none of the profiles its element allows: ${urls.join(', ')}`, where))
  }
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

/**
 * Whether any value at a path of element names below `value` passes `test` (arrays are
 * flattened, as FHIRPath navigation does), without collecting the values.
 */
function someAt (value: unknown, steps: readonly string[], depth: number, test: (x: unknown) => boolean): boolean {
  if (depth === steps.length) {
    return test(value)
  }
  const child = isJsonObject(value) ? value[steps[depth] ?? ''] : undefined
  if (Array.isArray(child)) {
    for (const c of child) {
      if (someAt(c, steps, depth + 1, test)) {
        return true
      }
    }
    return false
  }
  return child !== undefined && someAt(child, steps, depth + 1, test)
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

/** FHIRPath invariants the profile declares, compiled once, run on the nodes of their element. */
function compileInvariants (
  elements: readonly ElementDefinition[],
  baseConstraintKeys: ReadonlySet<string>,
  compiler: InvariantCompiler
): ((resource: JsonObject, path: string, container: JsonObject, ctx: Ctx) => void)[] {
  const out: ((resource: JsonObject, path: string, container: JsonObject, ctx: Ctx) => void)[] = []
  const rootPath = elements[0]?.path ?? ''
  for (const e of elements) {
    for (const c of e.constraint ?? []) {
      if (baseConstraintKeys.has(c.key ?? '') || c.severity !== 'error' || !c.expression || e.id?.includes(':')) {
        continue
      }
      const relative = (e.path ?? rootPath).slice(rootPath.length + 1).replaceAll('[x]', '')
      const steps = relative === '' ? [] : relative.split('.')
      // below `contained` the nodes belong to a contained resource, which is then %resource
      // (fhirpath.html §2.1.9.1; HL7 validator case contained-invariant)
      const inContained = steps.indexOf('contained')
      const holderSteps = inContained >= 0 && inContained < steps.length - 1 ? steps.slice(0, inContained + 1) : undefined
      const key = c.key ?? '?'
      const human = c.human ?? c.expression
      const check = compiler.compile(key, c.expression)
      out.push((resource, path, container, ctx) => {
        // %resource: the resource the profile is applied to; %rootResource: its container when
        // it is contained (FHIR fhirpath.html §2.1.9.1 "FHIR Specific Variables").
        const found = ctx.found
        if (steps.length === 0 && ctx.probe) {
          // On the resource itself, and only whether it holds counts: no path to build.
          if (check(resource, ctx.scope ??= { resource, rootResource: container }) !== true) {
            found.push(issue('error', 'invariant', `Constraint ${key} not met`))
          }
          return
        }
        const holders = holderSteps === undefined
          ? [{ scope: { resource, rootResource: container }, nodes: nodesAt(resource, steps, path) }]
          : nodesAt(resource, holderSteps, path).map((held) => ({
            scope: { resource: held.value, rootResource: container },
            nodes: nodesAt(held.value, steps.slice(holderSteps.length), held.path)
          }))
        for (const { scope, nodes } of holders) {
          for (const node of nodes) {
            const result = check(node.value, scope)
            if (result === false) {
              found.push(issue('error', 'invariant', `Constraint ${key} not met: ${human} (${node.path}; FHIRPath: ${c.expression ?? ''})`, node.path))
            } else if (result !== true) {
              // Not being able to evaluate is our limit, not the sender's error: warn, never reject.
              found.push(issue('warning', 'processing', `Constraint ${key} could not be evaluated: ${result.message} (${node.path})`, node.path))
            }
          }
        }
      })
    }
  }
  return out
}

/** The JSON objects at a path of element names, with their FHIRPath (choice names matched by prefix). */
function nodesAt (resource: JsonObject, steps: readonly string[], path: string): { value: JsonObject, path: string }[] {
  let current = [{ value: resource, path }]
  for (const step of steps) {
    const next: { value: JsonObject, path: string }[] = []
    for (const node of current) {
      const key = step in node.value ? step : Object.keys(node.value).find((k) => k.startsWith(step) && /^[A-Z]/.test(k.slice(step.length)))
      const v = key === undefined ? undefined : node.value[key]
      if (Array.isArray(v)) {
        v.forEach((item, i) => { if (isJsonObject(item)) next.push({ value: item, path: `${node.path}.${step}[${i}]` }) })
      } else if (isJsonObject(v)) {
        next.push({ value: v, path: `${node.path}.${step}` })
      }
    }
    current = next
  }
  return current
}

function cardinality (max: string | undefined): number {
  return max === undefined || max === '*' ? Infinity : Number(max)
}

function capitalise (code: string): string {
  return code.charAt(0).toUpperCase() + code.slice(1)
}

/**
 * {@link containsPattern} with the pattern fixed, as a closure built once: the pattern's keys
 * and items are read at compile time, not on every call.
 * @param pattern - a pattern value, or undefined for none
 * @returns the test, or undefined when there is no pattern
 */
export function compilePattern (pattern: unknown): ((value: unknown) => boolean) | undefined {
  if (pattern === undefined) {
    return undefined
  }
  return compilePatternValue(pattern)
}

function compilePatternValue (pattern: unknown): (value: unknown) => boolean {
  if (typeof pattern !== 'object' || pattern === null) {
    return (value) => value === pattern
  }
  if (Array.isArray(pattern)) {
    const items = pattern.map(compilePatternValue)
    return (value) => {
      if (!Array.isArray(value)) {
        return false
      }
      for (const item of items) {
        let found = false
        for (const v of value) {
          if (item(v)) {
            found = true
            break
          }
        }
        if (!found) {
          return false
        }
      }
      return true
    }
  }
  const expected = pattern as JsonObject
  const keys: string[] = []
  const tests: ((value: unknown) => boolean)[] = []
  for (const k in expected) {
    keys.push(k)
    tests.push(compilePatternValue(expected[k]))
  }
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return false
    }
    const object = value as JsonObject
    for (let i = 0; i < keys.length; i++) {
      if (!(tests[i] as (value: unknown) => boolean)(object[keys[i] as string])) {
        return false
      }
    }
    return true
  }
}

/**
 * Whether `value` contains `pattern` (R4 ElementDefinition.pattern[x]: every element of the
 * pattern is present with the same value; for arrays, each pattern item is in some value item).
 */
export function containsPattern (value: unknown, pattern: unknown): boolean {
  if (typeof pattern !== 'object' || pattern === null) {
    return value === pattern
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value)) {
      return false
    }
    for (const p of pattern) {
      let found = false
      for (const v of value) {
        if (containsPattern(v, p)) {
          found = true
          break
        }
      }
      if (!found) {
        return false
      }
    }
    return true
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false
  }
  const object = value as JsonObject
  const expected = pattern as JsonObject
  for (const k in expected) {
    if (!containsPattern(object[k], expected[k])) {
      return false
    }
  }
  return true
}
