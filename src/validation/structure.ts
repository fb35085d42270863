import { readFileSync } from 'node:fs'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import { checkBundle } from './bundle-rules.ts'
import type { InvariantCheck, InvariantCompiler, InvariantScope } from './invariants.ts'
import { createInvariantCompiler } from './invariants.ts'
import type { JsonObject } from './json.ts'
import { describeJson, isJsonObject } from './json.ts'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from './nhs-number.ts'
import { isValidOdsCode, ODS_ORGANIZATION_CODE_SYSTEM } from './ods-code.ts'
import type { R4Schema, SchemaElement, SchemaExtension, SchemaInvariant, SchemaType } from './r4-schema.ts'

/**
 * Base R4 validation, compiled (docs/decisions/compiled-validator.md): one walk of the JSON against the compiled
 * base definitions (compiled/r4-base.json), checking in the same pass
 * - unknown elements, JSON types, arrays against single values, empty arrays/objects/strings
 *   (json.html §2.6.2), `_x` primitive extension shapes;
 * - primitive formats with the R4 regular expressions (a dateTime with a time needs a zone;
 *   Resource.id is an id), integer ranges, the 1 MB string limit;
 * - cardinality; only one type of a choice;
 * - required bindings to value sets expanded at build time (code, Coding, CodeableConcept);
 * - base invariants (invariants.ts), on every node of their type or element;
 * - R4 core extensions: value type and context of use (extensibility.html §2.5.0.2);
 * - NHS number Modulus 11 and ODS code shape on any Identifier with their system, attachment
 *   size, SimpleQuantity without comparator;
 * - Bundle rules (bundle-rules.ts), and contained and Bundle-entry resources as their own types.
 * Issues carry the FHIRPath of the element: `ServiceRequest.contained[0].identifier[0].value`.
 */

/** Base R4 ready to validate with: the compiled schema, indexed, with its invariants compiled lazily. */
export interface BaseSchema {
  readonly types: ReadonlyMap<string, RuntimeType>
  readonly valueSets: ReadonlyMap<string, ValueSetCodes>
  readonly extensions: ReadonlyMap<string, SchemaExtension>
  /** whether a name is an R4 resource type (concrete) */
  isResourceType: (name: string) => boolean
}

interface ValueSetCodes {
  readonly url: string
  /** "system|code" */
  readonly codings: ReadonlySet<string>
  /** bare codes, for `code` elements whose system is implied */
  readonly codes: ReadonlySet<string>
}

interface RuntimeInvariant {
  readonly def: SchemaInvariant
  check: InvariantCheck | undefined
}

interface RuntimeElement {
  readonly def: SchemaElement
  readonly invariants: RuntimeInvariant[]
  /** the required binding's expanded codes, when the element has one we can check */
  readonly valueSet: ValueSetCodes | undefined
}

interface ElementEntry {
  readonly element: RuntimeElement
  /** the type the JSON property name selects (for a choice: the one its suffix names) */
  readonly type: string
  /** that type, resolved once the whole schema is indexed (undefined for Resource and unknown types) */
  target: RuntimeType | undefined
  /** 'resource' for Resource or a resource type */
  isResource: boolean
  /** whether a resource may sit in or below this element (contained, Bundle.entry, Parameters.parameter) */
  mayNest: boolean
}

interface RuntimeType {
  readonly def: SchemaType
  readonly byKey: ReadonlyMap<string, ElementEntry>
  /** elements with a cardinality or choice rule to check after the walk */
  readonly counted: readonly RuntimeElement[]
  readonly invariants: RuntimeInvariant[]
  readonly regex: RegExp | undefined
  /** a cheaper equivalent of the regex, for the commonest string types */
  readonly quick: ((value: string) => boolean) | undefined
  /** the fast walk of an object of this type, generated on first use (see {@link generateFastCheck}) */
  fast: FastCheck | undefined
}

/** The fast walk of one object: true when the reporting walk would find nothing in it. */
type FastCheck = (ctx: WalkContext, obj: JsonObject, path: string, scope: InvariantScope) => boolean

/**
 * Loads the compiled base R4.
 * @param file - compiled/r4-base.json (build-r4-schema.ts writes it)
 * @returns the schema, ready to validate with
 */
export function loadBaseSchema (file: string): BaseSchema {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as R4Schema
  return indexBaseSchema(parsed)
}

/**
 * Indexes a compiled schema for validation.
 * @param schema - the compiled base R4
 * @returns the schema, ready to validate with
 */
export function indexBaseSchema (schema: R4Schema): BaseSchema {
  const valueSets = new Map<string, ValueSetCodes>()
  for (const [url, codings] of Object.entries(schema.valueSets)) {
    valueSets.set(url, { url, codings: new Set(codings), codes: new Set(codings.map((c) => c.slice(c.indexOf('|') + 1))) })
  }
  const types = new Map<string, RuntimeType>()
  const none: RuntimeInvariant[] = []
  const runtimeInvariants = (defs: readonly SchemaInvariant[] | undefined): RuntimeInvariant[] =>
    defs === undefined || defs.length === 0 ? none : defs.filter((d) => d.severity === 'error').map((def) => ({ def, check: undefined }))
  for (const parsed of Object.values(schema.types)) {
    const def = sameShapeType(parsed)
    const byKey = new Map<string, ElementEntry>()
    const counted: RuntimeElement[] = []
    for (const parsedElement of def.elements) {
      const e = sameShapeElement(parsedElement)
      const element: RuntimeElement = {
        def: e,
        invariants: runtimeInvariants(e.invariants),
        valueSet: e.binding === undefined ? undefined : valueSets.get(e.binding)
      }
      if (e.choice) {
        for (const t of e.types) {
          byKey.set(e.name + t.charAt(0).toUpperCase() + t.slice(1), { element, type: t, target: undefined, isResource: false, mayNest: false })
        }
      } else {
        byKey.set(e.name, { element, type: e.types[0] ?? 'string', target: undefined, isResource: false, mayNest: false })
      }
      if (e.min > 0 || (e.max >= 0 && e.array) || e.choice) {
        counted.push(element)
      }
    }
    types.set(def.name, {
      def,
      byKey,
      counted,
      invariants: runtimeInvariants(def.invariants),
      regex: def.regex === undefined || def.name === 'base64Binary' ? undefined : new RegExp(`^(?:${def.regex})$`),
      // Only for the R4 expression each quick check was written for.
      quick: def.regex !== undefined && def.regex === QUICK_CHECK_FOR[def.name] ? QUICK_CHECKS[def.name] : undefined,
      fast: undefined
    })
  }
  for (const t of types.values()) {
    for (const entry of t.byKey.values()) {
      const target = types.get(entry.type)
      entry.isResource = entry.type === 'Resource' || target?.def.kind === 'resource'
      entry.target = entry.isResource ? undefined : target
    }
  }
  // Which elements can lead to a nested resource: a resource, or a backbone element with one below.
  const nests = new Map<RuntimeType, boolean>()
  const mayNest = (t: RuntimeType): boolean => {
    const known = nests.get(t)
    if (known !== undefined) {
      return known
    }
    nests.set(t, false) // contentReference cycles (Parameters.parameter.part) end here
    let found = false
    for (const entry of t.byKey.values()) {
      entry.mayNest = entry.isResource || (entry.target?.def.kind === 'backbone' && mayNest(entry.target))
      found ||= entry.mayNest
    }
    nests.set(t, found)
    return found
  }
  for (const t of types.values()) {
    mayNest(t)
  }
  for (const t of types.values()) {
    for (const entry of t.byKey.values()) {
      entry.mayNest = entry.isResource || (entry.target?.def.kind === 'backbone' && nests.get(entry.target) === true)
    }
  }
  return {
    types,
    valueSets,
    extensions: new Map(Object.entries(schema.extensions)),
    isResourceType: (name) => {
      const t = types.get(name)
      return t !== undefined && t.def.kind === 'resource' && t.def.abstract !== true
    }
  }
}

/** A resource found inside another: in `contained`, `Bundle.entry.resource`, `Parameters`… */
export interface NestedResource {
  /** its FHIRPath, e.g. "ServiceRequest.contained[0]" or "Bundle.entry[3].resource" */
  readonly path: string
  readonly resource: JsonObject
  readonly type: string
  /** the resource whose `contained` list its `#id` references resolve against (R4 references.html §2.3.0.4) */
  readonly container: JsonObject
}

/** What the walk of one resource found. */
export interface StructureResult {
  readonly issues: OperationOutcomeIssue[]
  /** the nested resources of known types, so that the profiles they claim can be applied */
  readonly nested: NestedResource[]
}

/**
 * Copies of the parsed definitions with every property present, in one order, so that the
 * walk reads them through one hidden class rather than one per combination of optional fields.
 */
function sameShapeElement (e: SchemaElement): SchemaElement {
  return {
    name: e.name,
    types: e.types,
    choice: e.choice,
    min: e.min,
    max: e.max,
    array: e.array,
    binding: e.binding,
    invariants: e.invariants,
    system: e.system,
    simpleQuantity: e.simpleQuantity
  } as SchemaElement
}

function sameShapeType (t: SchemaType): SchemaType {
  return {
    name: t.name,
    kind: t.kind,
    abstract: t.abstract,
    elements: t.elements,
    invariants: t.invariants,
    json: t.json,
    regex: t.regex
  } as SchemaType
}

/** An extension defined outside R4 core (e.g. in profiles/), with its definition compiled. */
export interface LocalExtension {
  readonly info: SchemaExtension
  /** checks an extension instance against its definition (sub-extensions, value type, bindings) */
  readonly check: (extension: JsonObject, path: string) => OperationOutcomeIssue[]
}

/** What a walk needs besides the schema. */
interface WalkContext extends StructureResult {
  readonly schema: BaseSchema
  readonly invariants: InvariantCompiler
  readonly localExtensions: ReadonlyMap<string, LocalExtension>
  /** issues already looked through for an error (walkFull) */
  errorsScanned: number
  /** an error is among the issues */
  errorFound: boolean
}

/**
 * Creates the base R4 validation of one validator.
 * @param schema - the base schema
 * @param invariants - the invariant compiler (and cache) to use
 * @param localExtensions - extension definitions beyond R4 core, by URL
 * @returns a function validating one resource at a FHIRPath, returning its issues and nested resources
 */
export function createStructureValidator (
  schema: BaseSchema,
  invariants: InvariantCompiler = createInvariantCompiler(schema.isResourceType),
  localExtensions: ReadonlyMap<string, LocalExtension> = new Map()
): (resource: JsonObject, path: string) => StructureResult {
  const walks = createStructureWalks(schema, invariants, localExtensions)
  return (resource, path) => {
    // Most resources are valid: a walk that builds no paths and no messages says so first;
    // only when it finds something does the reporting walk run, from the top.
    const fast = walks.fast(resource, path)
    return fast ?? walks.report(resource, path)
  }
}

/**
 * The two walks of base R4 validation, apart (createStructureValidator runs the fast one, then
 * the reporting one only when the fast one finds something). They must agree: `fast` answers a
 * result exactly when `report` would find no issue (test/unit/validation/walks-agree.test.ts).
 */
export interface StructureWalks {
  /** the fast walk: the (issue-free) result when nothing is wrong, undefined otherwise */
  readonly fast: (resource: JsonObject, path: string) => StructureResult | undefined
  /** the reporting walk: every issue, with its FHIRPath */
  readonly report: (resource: JsonObject, path: string) => StructureResult
}

/**
 * Creates both walks of base R4 validation.
 * @param schema - the base schema
 * @param invariants - the invariant compiler (and cache) to use
 * @param localExtensions - extension definitions beyond R4 core, by URL
 * @returns the fast and the reporting walk
 */
export function createStructureWalks (
  schema: BaseSchema,
  invariants: InvariantCompiler,
  localExtensions: ReadonlyMap<string, LocalExtension>
): StructureWalks {
  return {
    fast: (resource, path) => {
      const fast: WalkContext = { schema, invariants, localExtensions, issues: [], nested: [], errorsScanned: 0, errorFound: false }
      return fastResource(fast, resource, path, undefined, false) && fast.issues.length === 0 ? fast : undefined
    },
    report: (resource, path) => {
      const ctx: WalkContext = { schema, invariants, localExtensions, issues: [], nested: [], errorsScanned: 0, errorFound: false }
      visitResource(ctx, resource, path, undefined, false)
      return ctx
    }
  }
}

const MAX_STRING = 1024 * 1024

/*
 * The fast walk: the same rules as the reporting walk below, answered as a boolean. `path` is
 * kept only along elements that can lead to a nested resource (whose path the profiles need);
 * the checks that report through ctx.issues are run with an empty path and count as failures
 * if they report anything.
 */

function fastResource (ctx: WalkContext, obj: JsonObject, path: string, container: JsonObject | undefined, nested: boolean): boolean {
  const type = obj.resourceType
  // schema.isResourceType, with the one lookup the walk needs anyway
  const t = typeof type === 'string' ? ctx.schema.types.get(type) : undefined
  if (t === undefined || t.def.kind !== 'resource' || t.def.abstract === true) {
    return false
  }
  const scope: InvariantScope = { resource: obj, rootResource: container ?? obj }
  if (!(t.fast ?? fastCheckOf(t))(ctx, obj, path, scope)) {
    return false
  }
  if (type === 'Bundle' && checkBundle(obj, path).length > 0) {
    return false
  }
  if (nested) {
    ctx.nested.push({ path, resource: obj, type: t.def.name, container: container ?? obj })
  }
  return true
}

function fastCheckOf (t: RuntimeType): FastCheck {
  t.fast ??= generateFastCheck(t)
  return t.fast
}

/** The fast check of one value of an element (`index` -1 for a single value). */
type FastValueCheck = (ctx: WalkContext, value: unknown, path: string, index: number, scope: InvariantScope) => boolean

/**
 * Generates the fast walk of one type as JavaScript (docs/decisions/compiled-validator.md: per-type code rather
 * than interpreting the schema): a `switch` over the property names the type allows, each
 * case checking its value with a check specialised for its element (a primitive's format
 * test, or the walk of its datatype), the cardinalities counted as the properties go by, then
 * the type's invariants. It answers exactly as the rules of the reporting walk would: any
 * property it does not know (unknown, `_x`) makes it answer false and the reporting walk says
 * why. Generated on first use of each type, so start-up pays for none of it.
 */
function generateFastCheck (t: RuntimeType): FastCheck {
  const constants: unknown[] = []
  const constant = (value: unknown): string => {
    constants.push(value)
    return `k${constants.length - 1}`
  }
  const choiceCounters = new Map<RuntimeElement, string>()
  const cases: string[] = []
  const isResource = t.def.kind === 'resource'
  for (const [key, entry] of t.byKey) {
    if (isResource && key === 'resourceType') {
      continue
    }
    const element = entry.element
    const target = entry.target
    let call: (value: string, index: string) => string
    // A primitive's test begins with its JSON type (typeof), which null and arrays fail.
    const typeTested = target?.def.kind === 'primitive'
    if (target?.def.kind === 'primitive') {
      call = primitiveSource(target, element, constant)
    } else {
      const check = constant(valueCheck(entry, t, key))
      call = (value, index) => `${check}(ctx, ${value}, path, ${index}, scope)`
    }
    let body = element.def.array
      ? `if (!Array.isArray(v) || v.length === 0) return false
        for (let i = 0; i < v.length; i++) {
          const item = v[i]
          if (item === null || !${call('item', 'i')}) return false
        }`
      : typeTested
        ? `if (!${call('v', '-1')}) return false`
        : `if (v === null || Array.isArray(v) || !${call('v', '-1')}) return false`
    if (element.def.choice) {
      let counter = choiceCounters.get(element)
      if (counter === undefined) {
        counter = `n${choiceCounters.size}`
        choiceCounters.set(element, counter)
      }
      body += `\n        ${counter}++`
    }
    cases.push(`      case ${JSON.stringify(key)}: {
        ${body}
        break
      }`)
  }
  if (isResource) {
    cases.push('      case "resourceType": break')
  }
  // With every property known and none null, an element's count is its array's length (or 1);
  // a choice's is how many of its typed properties there are (countOf in the reporting walk).
  const counted = t.counted.map((element) => {
    const def = element.def
    const counter = choiceCounters.get(element)
    const count = counter ?? `(obj[${JSON.stringify(def.name)}] === undefined ? 0 : Array.isArray(obj[${JSON.stringify(def.name)}]) ? obj[${JSON.stringify(def.name)}].length : 1)`
    const tests = [`${count} < ${def.min}`]
    if (def.max >= 0) {
      tests.push(`${count} > ${def.max}`)
    }
    if (def.choice) {
      tests.push(`${count} > 1`)
    }
    return `  if (${tests.join(' || ')}) return false`
  })
  const invariants = t.invariants.length === 0
    ? '  return true'
    : `  return ${constant((ctx: WalkContext, obj: JsonObject, scope: InvariantScope) => invariantsHold(ctx, t.invariants, obj, scope))}(ctx, obj, scope)`
  const counters = [...choiceCounters.values()].map((c) => `  let ${c} = 0`)
  const source = `return function fast_${t.def.name.replace(/[^A-Za-z0-9_]/g, '_')} (ctx, obj, path, scope) {
  let empty = true
${counters.join('\n')}
  for (const key in obj) {
    empty = false
    const v = obj[key]
    switch (key) {
${cases.join('\n')}
      default: return false
    }
  }
  if (empty) return false
${counted.join('\n')}
${invariants}
}`
  // The source is built from the compiled R4 schema alone (names quoted with JSON.stringify),
  // never from validated input.
  // eslint-disable-next-line no-new-func
  const factory = new Function(...constants.map((_, i) => `k${i}`), source) as (...args: unknown[]) => FastCheck
  return factory(...constants)
}

/** The fast check of a value of a complex or resource element. */
function valueCheck (entry: ElementEntry, owner: RuntimeType, key: string): FastValueCheck {
  const element = entry.element
  const name = element.def.name
  if (entry.isResource) {
    const contained = name === 'contained'
    return (ctx, value, path, index, scope) => isJsonObject(value) &&
      fastResource(ctx, value, index < 0 ? `${path}.${name}` : `${path}.${name}[${index}]`, contained ? scope.resource : undefined, true)
  }
  const t = entry.target
  if (!t) {
    return () => true
  }
  const mayNest = entry.mayNest
  const invariants = element.invariants
  const typeCode = entry.type
  // The types checkTyped has rules for, in the cases where it has any.
  const typed = typeCode === 'Identifier' || typeCode === 'Attachment' || typeCode === 'Extension' ||
    ((typeCode === 'Coding' || typeCode === 'CodeableConcept') && element.def.binding !== undefined) ||
    (typeCode === 'Quantity' && element.def.simpleQuantity === true)
  let fast: FastCheck | undefined
  return (ctx, value, path, index, scope) => {
    if (!isJsonObject(value)) {
      return false
    }
    const where = mayNest ? (index < 0 ? `${path}.${name}` : `${path}.${name}[${index}]`) : ''
    fast ??= fastCheckOf(t)
    if (!fast(ctx, value, where, scope) || (invariants.length > 0 && !invariantsHold(ctx, invariants, value, scope))) {
      return false
    }
    if (!typed) {
      return true
    }
    const before = ctx.issues.length
    checkTyped(ctx, value, typeCode, element, where, owner, key)
    return ctx.issues.length === before
  }
}

/**
 * The source of {@link primitiveCheck} for one type and element, written into the generated
 * walk: the JSON type test inline, the format test a call (a quick check or the regular
 * expression).
 */
function primitiveSource (t: RuntimeType, element: RuntimeElement, constant: (value: unknown) => string): (value: string) => string {
  const kind = t.def.json
  if (kind === 'boolean') {
    return (v) => `(typeof ${v} === 'boolean')`
  }
  if (kind === 'integer' || kind === 'decimal') {
    const range = INTEGER_RANGE[t.def.name]
    return range === undefined
      ? (v) => `(typeof ${v} === 'number' && Number.isFinite(${v}))`
      : (v) => `(typeof ${v} === 'number' && Number.isInteger(${v}) && ${v} >= ${range[0]} && ${v} <= ${range[1]})`
  }
  const type = t.def.name
  const codes = element.valueSet !== undefined && type === 'code' ? element.valueSet.codes : undefined
  const regex = t.regex
  if (type === 'base64Binary' || type === 'xhtml' || regex === undefined) {
    const check = constant(primitiveCheck(t, element))
    return (v) => `${check}(${v})`
  }
  const format = constant(t.quick ?? ((value: string) => regex.test(value)))
  const inSet = codes === undefined ? '' : ` && ${constant(codes)}.has(V)`
  return (v) => `(typeof ${v} === 'string' && ${v}.length !== 0 && ${v}.length <= ${MAX_STRING} && ${format}(${v})${inSet.replaceAll('V', v)})`
}

/** {@link primitiveOk} for one type and element, specialised once. */
function primitiveCheck (t: RuntimeType, element: RuntimeElement): (value: unknown) => boolean {
  const kind = t.def.json
  if (kind === 'boolean') {
    return (value) => typeof value === 'boolean'
  }
  if (kind === 'integer' || kind === 'decimal') {
    const range = INTEGER_RANGE[t.def.name]
    if (range === undefined) {
      return (value) => typeof value === 'number' && Number.isFinite(value)
    }
    const [low, high] = range
    return (value) => typeof value === 'number' && Number.isInteger(value) && value >= low && value <= high
  }
  const type = t.def.name
  if (type === 'base64Binary') {
    return (value) => typeof value === 'string' && value.length !== 0 && value.length <= MAX_STRING && isBase64(value)
  }
  const regex = t.regex
  const format: ((value: string) => boolean) | undefined = regex === undefined ? undefined : (t.quick ?? ((value) => regex.test(value)))
  const codes = element.valueSet !== undefined && type === 'code' ? element.valueSet.codes : undefined
  if (codes !== undefined && format !== undefined) {
    return (value) => typeof value === 'string' && value.length !== 0 && value.length <= MAX_STRING && format(value) && codes.has(value)
  }
  if (type === 'xhtml' || codes !== undefined) {
    return (value) => typeof value === 'string' && value.length !== 0 && value.length <= MAX_STRING && primitiveOk(value, t, element)
  }
  if (format === undefined) {
    return (value) => typeof value === 'string' && value.length !== 0 && value.length <= MAX_STRING
  }
  return (value) => typeof value === 'string' && value.length !== 0 && value.length <= MAX_STRING && format(value)
}

function invariantsHold (ctx: WalkContext, invariants: RuntimeInvariant[], node: JsonObject, scope: InvariantScope): boolean {
  for (const inv of invariants) {
    inv.check ??= ctx.invariants.compile(inv.def.key, inv.def.expression)
    if (inv.check(node, scope) !== true) {
      return false
    }
  }
  return true
}

function visitResource (ctx: WalkContext, obj: JsonObject, path: string, container: JsonObject | undefined, nested: boolean): void {
  const type = obj.resourceType
  if (typeof type !== 'string') {
    ctx.issues.push(issue('error', 'structure', `${path} has no resourceType, so it is not a FHIR resource`, path))
    return
  }
  if (!ctx.schema.isResourceType(type)) {
    ctx.issues.push(issue('error', 'structure', `Unknown resource type '${type}' at ${path}: it is not a FHIR R4 resource`, path))
    return
  }
  const t = ctx.schema.types.get(type)
  if (!t) {
    return
  }
  const scope: InvariantScope = { resource: obj, rootResource: container ?? obj }
  visitComplex(ctx, obj, t, path, scope)
  if (type === 'Bundle') {
    ctx.issues.push(...checkBundle(obj, path))
  }
  if (nested) {
    ctx.nested.push({ path, resource: obj, type, container: container ?? obj })
  }
}

/**
 * The issues after which the walk stops looking further. An answer lists 100 at most
 * (operationOutcome); a body with an unknown element in each of ten thousand array items
 * would otherwise cost ~0.4 s of the event loop to report a hundred thousand of them.
 */
export const WALK_ISSUE_LIMIT = 1_000

/**
 * Whether the walk has found enough: WALK_ISSUE_LIMIT issues, an error among them. Warnings
 * alone never stop it, or a thousand of them could hide an error further on and let the
 * resource through. Each issue is looked at once (errorsScanned), however often this is asked.
 */
export function walkFull (ctx: Pick<WalkContext, 'issues' | 'errorsScanned' | 'errorFound'>): boolean {
  if (ctx.issues.length < WALK_ISSUE_LIMIT) return false
  if (ctx.errorFound) return true
  for (let i = ctx.errorsScanned; i < ctx.issues.length; i++) {
    const severity = ctx.issues[i]?.severity
    if (severity === 'error' || severity === 'fatal') {
      ctx.errorFound = true
      return true
    }
  }
  ctx.errorsScanned = ctx.issues.length
  return false
}

function visitComplex (ctx: WalkContext, obj: JsonObject, t: RuntimeType, path: string, scope: InvariantScope): void {
  if (walkFull(ctx)) return
  let empty = true
  for (const key in obj) {
    empty = false
    const value = obj[key]
    if (key === 'resourceType' && t.def.kind === 'resource') {
      continue
    }
    if (key.charCodeAt(0) === 95 /* _ */) {
      visitPrimitiveExtension(ctx, obj, key, value, t, path, scope)
      continue
    }
    const entry = t.byKey.get(key)
    if (!entry) {
      ctx.issues.push(issue('error', 'structure',
        `Unknown element '${key}': it is not defined here in FHIR R4 or the profile (${path}.${key})`, `${path}.${key}`))
      continue
    }
    const element = entry.element
    const name = element.def.name
    if (element.def.array) {
      if (!Array.isArray(value)) {
        const where = `${path}.${name}`
        ctx.issues.push(issue('error', 'structure', `${where} repeats, so it must be an array`, where))
        continue
      }
      if (value.length === 0) {
        const where = `${path}.${name}`
        ctx.issues.push(issue('error', 'structure', `${where} is an empty array; omit the element instead (arrays SHALL NOT be empty)`, where))
        continue
      }
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i]
        if (item === null) {
          const extensions = obj[`_${key}`]
          const ext: unknown = Array.isArray(extensions) ? extensions[i] : undefined
          if (!isJsonObject(ext)) {
            ctx.issues.push(issue('error', 'structure', `${path}.${name}[${i}] is null`, `${path}.${name}[${i}]`))
          }
          continue
        }
        visitValue(ctx, item, entry, path, i, scope, t, key)
      }
    } else {
      if (Array.isArray(value)) {
        const where = `${path}.${name}`
        ctx.issues.push(issue('error', 'structure', `${where} takes a single value, not an array`, where))
        continue
      }
      if (value === null) {
        ctx.issues.push(issue('error', 'structure', `${path}.${name} is null; omit the element instead`, `${path}.${name}`))
        continue
      }
      visitValue(ctx, value, entry, path, -1, scope, t, key)
    }
  }
  if (empty) {
    ctx.issues.push(issue('error', 'structure', `${path} is an empty object; an element needs a value or children (ele-1)`, path))
    return
  }
  for (const element of t.counted) {
    const count = countOf(obj, element.def, t)
    const def = element.def
    if (count >= def.min && (def.max < 0 || count <= def.max) && !(def.choice && count > 1)) {
      continue
    }
    const where = `${path}.${def.name}`
    if (element.def.choice && count > 1) {
      ctx.issues.push(issue('error', 'structure', `${where} has ${count} types; a choice element takes one`, where))
    } else if (count < element.def.min) {
      ctx.issues.push(count === 0
        ? issue('error', 'structure', `Missing required element '${element.def.name}' (${where})`, where)
        : issue('error', 'structure', `Invalid number of values: expected at least ${element.def.min}, found ${count} (${where})`, where))
    } else if (element.def.max >= 0 && count > element.def.max) {
      ctx.issues.push(issue('error', 'structure', `Invalid number of values: expected at most ${element.def.max}, found ${count} (${where})`, where))
    }
  }
  runInvariants(ctx, t.invariants, obj, path, scope)
}

/**
 * How many values an element has in an object (a primitive with only `_x` counts); for a
 * choice, how many of its typed properties are present (more than one is an error).
 */
function countOf (obj: JsonObject, def: SchemaElement, t: RuntimeType): number {
  if (!def.choice) {
    const v = obj[def.name] ?? obj[`_${def.name}`]
    return v === undefined || v === null ? 0 : Array.isArray(v) ? v.length : 1
  }
  let count = 0
  for (const key in obj) {
    const c = key.charCodeAt(0)
    if (!key.startsWith(def.name, c === 95 ? 1 : 0)) {
      continue
    }
    const extension = key.charCodeAt(0) === 95
    const name = extension ? key.slice(1) : key
    if (t.byKey.get(name)?.element.def === def && !(extension && obj[name] !== undefined)) {
      count++
    }
  }
  return count
}

function runInvariants (ctx: WalkContext, invariants: RuntimeInvariant[], node: JsonObject, path: string, scope: InvariantScope): void {
  for (const inv of invariants) {
    inv.check ??= ctx.invariants.compile(inv.def.key, inv.def.expression)
    const result = inv.check(node, scope)
    if (result === true) {
      continue
    }
    if (result === false) {
      ctx.issues.push(issue('error', 'invariant',
        `Constraint ${inv.def.key} not met: ${inv.def.human} (${path}; FHIRPath: ${inv.def.expression})`, path))
    } else {
      // Not being able to evaluate is our limit, not the sender's error: warn, never reject.
      ctx.issues.push(issue('warning', 'processing', `Constraint ${inv.def.key} could not be evaluated: ${result.message} (${path})`, path))
    }
  }
}

/**
 * Visits one value of an element: `path` is its parent's FHIRPath and `index` its position in
 * the array (-1 for a single value); the value's own path is built only when needed.
 */
function visitValue (
  ctx: WalkContext,
  value: unknown,
  entry: ElementEntry,
  path: string,
  index: number,
  scope: InvariantScope,
  owner: RuntimeType,
  key: string
): void {
  const element = entry.element
  const typeCode = entry.type
  const t = entry.target
  if (t?.def.kind === 'primitive') {
    if (!primitiveOk(value, t, element)) {
      const where = index < 0 ? `${path}.${element.def.name}` : `${path}.${element.def.name}[${index}]`
      checkPrimitive(ctx, value, t, element, where, owner.def.name === 'Resource' || element.def.system === true)
    }
    return
  }
  const where = index < 0 ? `${path}.${element.def.name}` : `${path}.${element.def.name}[${index}]`
  if (entry.isResource) {
    if (!isJsonObject(value)) {
      ctx.issues.push(issue('error', 'structure', `${where} must be a resource (a JSON object), not ${describeJson(value)}`, where))
      return
    }
    visitResource(ctx, value, where, element.def.name === 'contained' ? scope.resource : undefined, true)
    return
  }
  if (!t) {
    return // a type base R4 does not define: nothing to check against
  }
  if (!isJsonObject(value)) {
    ctx.issues.push(issue('error', 'structure', `${where} must be a JSON object (FHIR type ${typeCode}), not ${describeJson(value)}`, where))
    return
  }
  visitComplex(ctx, value, t, where, scope)
  runInvariants(ctx, element.invariants, value, where, scope)
  checkTyped(ctx, value, typeCode, element, where, owner, key)
}

/** The rules of particular datatypes, beyond their elements (both walks use them). */
function checkTyped (
  ctx: WalkContext,
  value: JsonObject,
  typeCode: string,
  element: RuntimeElement,
  where: string,
  owner: RuntimeType,
  key: string
): void {
  switch (typeCode) {
    case 'Identifier':
      checkIdentifier(ctx, value, where)
      break
    case 'Coding':
    case 'CodeableConcept':
      if (element.def.binding !== undefined) {
        checkCodedBinding(ctx, value, typeCode, element.def.binding, where)
      }
      break
    case 'Attachment':
      checkAttachmentSize(ctx, value, where)
      break
    case 'Quantity':
      if (element.def.simpleQuantity && value.comparator !== undefined) {
        ctx.issues.push(issue('error', 'invariant', `${where} is a SimpleQuantity, which has no comparator (sqty-1)`, where))
      }
      break
    case 'Extension':
      checkExtension(ctx, value, where, contextNames(owner, key))
      break
    default:
      break
  }
}

function visitPrimitiveExtension (
  ctx: WalkContext,
  obj: JsonObject,
  key: string,
  value: unknown,
  t: RuntimeType,
  path: string,
  scope: InvariantScope
): void {
  const name = key.slice(1)
  const entry = t.byKey.get(name)
  const where = `${path}.${key}`
  if (!entry || ctx.schema.types.get(entry.type)?.def.kind !== 'primitive') {
    ctx.issues.push(issue('error', 'structure', `Unknown element '${key}': it is not defined here in FHIR R4 or the profile (${where})`, where))
    return
  }
  if (entry.element.def.system) {
    ctx.issues.push(issue('error', 'structure', `Extensions are not allowed on ${path}.${name} (${where})`, where))
    return
  }
  const element = ctx.schema.types.get('Element')
  const names = [`${t.def.name}.${name}`, entry.type]
  const visitItem = (item: JsonObject, at: string): void => {
    if (element) {
      visitComplex(ctx, item, element, at, scope)
    }
    const extensions = item.extension
    if (Array.isArray(extensions)) {
      extensions.forEach((x, i) => { if (isJsonObject(x)) checkExtension(ctx, x, `${at}.extension[${i}]`, names) })
    }
  }
  if (!entry.element.def.array) {
    if (!isJsonObject(value)) {
      ctx.issues.push(issue('error', 'structure', `The extension element of a single primitive must be a JSON object, not ${describeJson(value)} (${where})`, where))
      return
    }
    visitItem(value, `${path}.${name}`)
    return
  }
  if (!Array.isArray(value) || !value.every((item) => item === null || isJsonObject(item))) {
    ctx.issues.push(issue('error', 'structure', `The extension element of a repeating primitive must be an array of JSON objects and nulls (${where})`, where))
    return
  }
  const primitive = obj[name]
  if (Array.isArray(primitive) && primitive.length !== value.length) {
    ctx.issues.push(issue('error', 'structure', `The extension element of a repeating primitive must have as many items as the primitive (${where})`, where))
    return
  }
  value.forEach((item, i) => { if (isJsonObject(item)) visitItem(item, `${path}.${name}[${i}]`) })
}

/** R4 datatypes.html: integer is 32-bit signed, positiveInt ≥ 1, unsignedInt ≥ 0. */
const INTEGER_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  integer: [-2147483648, 2147483647],
  positiveInt: [1, 2147483647],
  unsignedInt: [0, 2147483647]
}

const HAS_ZONE = /(Z|[+-]\d{2}:\d{2})$/

/**
 * Equivalents of the R4 regular expressions of the commonest string types that avoid matching
 * the whole value: string `[ \r\n\t\S]+` admits any character but other whitespace, uri `\S*`
 * any but whitespace, code `[^\s]+(\s[^\s]+)*` any but leading, trailing or repeated
 * whitespace, id `[A-Za-z0-9\-\.]{1,64}`. Each is called on non-empty strings only (both walks
 * reject an empty string first).
 */
const QUICK_CHECKS: Readonly<Record<string, (value: string) => boolean>> = {
  string: hasOnlyStringSpace,
  markdown: hasOnlyStringSpace,
  uri: hasNoSpace,
  url: hasNoSpace,
  canonical: hasNoSpace,
  code: isCodeShape,
  id: isIdShape,
  date: (v) => v.length <= 10 && isDateTimeShape(v),
  dateTime: isDateTimeShape,
  instant: (v) => v.length >= 20 && isDateTimeShape(v)
}

// Parts of the R4 date, dateTime and instant expressions (datatypes.html §2.24.0.1).
const YEAR = '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)'
const MONTH = '(0[1-9]|1[0-2])'
const DAY = '(0[1-9]|[1-2][0-9]|3[0-1])'
const CLOCK = '([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?'
const ZONE = '(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))'

/** The R4 regular expression (StructureDefinition regex extension) each quick check is equivalent to. */
const QUICK_CHECK_FOR: Readonly<Record<string, string>> = {
  string: '[ \\r\\n\\t\\S]+',
  markdown: '[ \\r\\n\\t\\S]+',
  uri: '\\S*',
  url: '\\S*',
  canonical: '\\S*',
  code: '[^\\s]+(\\s[^\\s]+)*',
  id: '[A-Za-z0-9\\-\\.]{1,64}',
  date: `${YEAR}(-${MONTH}(-${DAY})?)?`,
  dateTime: `${YEAR}(-${MONTH}(-${DAY}(T${CLOCK}${ZONE})?)?)?`,
  instant: `${YEAR}-${MONTH}-${DAY}T${CLOCK}${ZONE}`
}

/**
 * `[^\S \r\n\t]` (whitespace other than space, CR, LF and tab) with the class spelt out: the
 * same characters (ECMA-262 WhiteSpace and LineTerminator less those four), in a form the
 * regular expression engine tests faster.
 */
const NON_STRING_SPACE = /[\v\f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/

function hasOnlyStringSpace (v: string): boolean {
  return !NON_STRING_SPACE.test(v)
}

function hasNoSpace (v: string): boolean {
  return !/\s/.test(v)
}

/** For a non-empty value: no leading, trailing or repeated whitespace. */
function isCodeShape (v: string): boolean {
  return !/^\s|\s\s|\s$/.test(v)
}

/**
 * The R4 dateTime expression read a field at a time: `YYYY` (not 0000), then optionally
 * `-MM`, `-DD`, and `Thh:mm:ss[.f+]` with a zone (`Z`, or ±hh:mm up to ±14:00). date is its
 * first 10 characters at most, instant its full form (20 or more).
 */
function isDateTimeShape (v: string): boolean {
  const n = v.length
  const century = twoDigits(v, 0)
  const year = twoDigits(v, 2)
  if (n < 4 || century < 0 || year < 0 || (century === 0 && year === 0)) {
    return false
  }
  if (n === 4) {
    return true
  }
  const month = twoDigits(v, 5)
  if (n < 7 || v.charCodeAt(4) !== 45 || month < 1 || month > 12) {
    return false
  }
  if (n === 7) {
    return true
  }
  const day = twoDigits(v, 8)
  if (n < 10 || v.charCodeAt(7) !== 45 || day < 1 || day > 31) {
    return false
  }
  if (n === 10) {
    return true
  }
  if (n < 20 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) {
    return false
  }
  const hours = twoDigits(v, 11)
  const minutes = twoDigits(v, 14)
  const seconds = twoDigits(v, 17)
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 60) {
    return false
  }
  let i = 19
  if (v.charCodeAt(i) === 46) {
    const start = ++i
    while (i < n && digitAt(v, i) >= 0) {
      i++
    }
    if (i === start) {
      return false
    }
  }
  if (i === n - 1) {
    return v.charCodeAt(i) === 90
  }
  const sign = v.charCodeAt(i)
  if (i !== n - 6 || (sign !== 43 && sign !== 45) || v.charCodeAt(i + 3) !== 58) {
    return false
  }
  const zoneHours = twoDigits(v, i + 1)
  const zoneMinutes = twoDigits(v, i + 4)
  if (zoneHours < 0 || zoneMinutes < 0) {
    return false
  }
  return zoneHours <= 13 ? zoneMinutes <= 59 : zoneHours === 14 && zoneMinutes === 0
}

/** The ASCII digit at `i` as a number, or -1. */
function digitAt (s: string, i: number): number {
  const c = s.charCodeAt(i) - 48
  return c >= 0 && c <= 9 ? c : -1
}

/** The two ASCII digits at `i` as a number, or -1. */
function twoDigits (s: string, i: number): number {
  const a = digitAt(s, i)
  const b = digitAt(s, i + 1)
  return a < 0 || b < 0 ? -1 : a * 10 + b
}

/** `[A-Za-z0-9\-\.]{1,64}`, a character at a time. */
function isIdShape (v: string): boolean {
  if (v.length === 0 || v.length > 64) {
    return false
  }
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46)) {
      return false
    }
  }
  return true
}

/** The common case of {@link checkPrimitive}, without building any string: true when the value is fine. */
function primitiveOk (value: unknown, t: RuntimeType, element: RuntimeElement): boolean {
  const kind = t.def.json
  if (kind === 'boolean') {
    return typeof value === 'boolean'
  }
  if (kind === 'integer' || kind === 'decimal') {
    const range = INTEGER_RANGE[t.def.name]
    return typeof value === 'number' && Number.isFinite(value) &&
      (range === undefined || (Number.isInteger(value) && value >= range[0] && value <= range[1]))
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_STRING) {
    return false
  }
  const type = t.def.name
  if (type === 'base64Binary') {
    return isBase64(value)
  }
  if (t.regex && !(t.quick?.(value) ?? t.regex.test(value))) {
    return false
  }
  if (type === 'xhtml') {
    return /^\s*<div[\s>]/.test(value)
  }
  if (element.valueSet !== undefined && type === 'code') {
    return element.valueSet.codes.has(value)
  }
  return true
}

/** Reports what is wrong with a primitive value (each problem once). */
function checkPrimitive (ctx: WalkContext, value: unknown, t: RuntimeType, element: RuntimeElement, where: string, isResourceId: boolean): void {
  const type = t.def.name
  const kind = t.def.json ?? 'string'
  if (kind === 'boolean' || kind === 'integer' || kind === 'decimal') {
    const ok = kind === 'boolean' ? typeof value === 'boolean' : typeof value === 'number' && Number.isFinite(value)
    if (!ok) {
      ctx.issues.push(issue('error', 'structure', `${where} must be a JSON ${kind === 'boolean' ? 'boolean' : 'number'} (FHIR ${type}), not ${describeJson(value)}`, where))
      return
    }
    const range = INTEGER_RANGE[type]
    if (range && typeof value === 'number' && (!Number.isInteger(value) || value < range[0] || value > range[1])) {
      ctx.issues.push(issue('error', 'value', `${where} must be ${type === 'integer' ? 'a 32-bit integer' : `an integer from ${range[0]}`} (FHIR ${type})`, where))
    }
    return
  }
  if (typeof value !== 'string') {
    ctx.issues.push(issue('error', 'structure', `${where} must be a JSON string (FHIR ${type}), not ${describeJson(value)}`, where))
    return
  }
  if (value.length === 0) {
    ctx.issues.push(issue('error', 'structure', `${where} is an empty string; omit the element instead`, where))
    return
  }
  if (value.length > MAX_STRING) {
    ctx.issues.push(issue('error', 'too-long', `${where} is longer than 1 MB, the limit for a FHIR string`, where))
    return
  }
  if (type === 'base64Binary') {
    if (!isBase64(value)) {
      ctx.issues.push(issue('error', 'value', `${where} is not valid base64`, where))
    }
    return
  }
  if (t.regex && !(t.quick?.(value) ?? t.regex.test(value))) {
    ctx.issues.push(issue('error', 'value', formatMessage(type, value, where, isResourceId), where))
    return
  }
  if (type === 'xhtml' && !/^\s*<div[\s>]/.test(value)) {
    ctx.issues.push(issue('error', 'value', `${where} must be an XHTML <div> element (narrative.html §3.1.5.1)`, where))
  } else if (type === 'code' && element.def.binding !== undefined) {
    const vs = ctx.schema.valueSets.get(element.def.binding)
    if (vs && !vs.codes.has(value)) {
      ctx.issues.push(issue('error', 'code-invalid', `'${value}' is not a valid ${where.replace(/\[\d+\]/g, '')}: the required value set ${vs.url} allows ${listCodes(vs.codes)}`, where))
    }
  }
}

/**
 * The message for a primitive that fails its R4 format. The value itself is left out: outcomes
 * get logged, and a bad birth date or name must not end up in a log (docs/decisions/request-logging.md).
 */
function formatMessage (type: string, value: string, where: string, isResourceId: boolean): string {
  if (isResourceId && type === 'id') {
    return `Invalid resource id at ${where}: an id is 1 to 64 letters, digits, '-' and '.' (resource.html §2.36.1)`
  }
  if ((type === 'dateTime' || type === 'instant') && value.includes('T') && !HAS_ZONE.test(value)) {
    return `The ${type} at ${where} has a time but no time zone; R4 requires a zone (Z or ±hh:mm) whenever a time is given`
  }
  return `The value at ${where} is not a valid R4 ${type}${FORMAT_HINTS[type] ?? ''}`
}

/** What the R4 formats look like (datatypes.html §2.24.0.1), for the commonest mistakes. */
const FORMAT_HINTS: Readonly<Record<string, string>> = {
  date: ': YYYY, YYYY-MM or YYYY-MM-DD',
  dateTime: ': YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a zone',
  instant: ': YYYY-MM-DDThh:mm:ss with a zone',
  time: ': hh:mm:ss',
  code: ': no leading, trailing or repeated whitespace',
  uri: ': no whitespace',
  id: ": 1 to 64 letters, digits, '-' and '.'"
}

function isBase64 (value: string): boolean {
  const compact = value.replace(/\s+/g, '')
  return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact)
}

function listCodes (codes: ReadonlySet<string>): string {
  const all = [...codes]
  return all.length > 12 ? `${all.slice(0, 12).join(' | ')} | … (${all.length} codes)` : all.join(' | ')
}

function checkCodedBinding (ctx: WalkContext, value: JsonObject, type: string, url: string, where: string): void {
  const vs = ctx.schema.valueSets.get(url)
  if (!vs) {
    return
  }
  const codings = type === 'Coding' ? [value] : Array.isArray(value.coding) ? value.coding.filter(isJsonObject) : []
  // A CodeableConcept with only text, or codings without codes, says nothing checkable.
  const coded = codings.filter((c) => typeof c.code === 'string')
  if (coded.length === 0 || coded.some((c) => vs.codings.has(`${typeof c.system === 'string' ? c.system : ''}|${String(c.code)}`))) {
    return
  }
  ctx.issues.push(issue('error', 'code-invalid', `${where} has no code from the required value set ${vs.url}`, where))
}

function checkIdentifier (ctx: WalkContext, identifier: JsonObject, where: string): void {
  const { system, value } = identifier
  if (system !== NHS_NUMBER_SYSTEM && system !== ODS_ORGANIZATION_CODE_SYSTEM) {
    return
  }
  if (typeof value !== 'string') {
    // UK Core slices nhsNumber and odsOrganisationCode both make value 1..1.
    if (value === undefined) {
      const valuePath = `${where}.value`
      ctx.issues.push(issue('error', 'required', `An identifier with system ${system} must have a value (${valuePath})`, valuePath))
    }
    return
  }
  if (system === NHS_NUMBER_SYSTEM && !isValidNhsNumber(value)) {
    const valuePath = `${where}.value`
    // The number itself is left out: outcomes get logged, and logs never carry NHS numbers.
    ctx.issues.push(issue('error', 'value',
      `Invalid NHS number: it must be 10 digits whose last is the Modulus 11 check digit of the other 9 (${valuePath})`, valuePath))
  }
  if (system === ODS_ORGANIZATION_CODE_SYSTEM && !isValidOdsCode(value)) {
    const valuePath = `${where}.value`
    ctx.issues.push(issue('error', 'value',
      `'${value}' is not an ODS organisation code: expected 3 to 6 upper-case letters or digits, at least one a letter (${valuePath})`, valuePath))
  }
}

/** Attachment.size is the size of the data once decoded (datatypes.html#Attachment). */
function checkAttachmentSize (ctx: WalkContext, attachment: JsonObject, where: string): void {
  const { data, size } = attachment
  if (typeof data !== 'string' || typeof size !== 'number' || !isBase64(data)) {
    return
  }
  const compact = data.replace(/\s+/g, '')
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0
  const actual = (compact.length / 4) * 3 - padding
  if (actual !== size) {
    ctx.issues.push(issue('error', 'value', `${where}.size is ${size}, but the data is ${actual} bytes`, where))
  }
}

/** The names an extension's context must match where the extension sits in `owner.key`. */
function contextNames (owner: RuntimeType, key: string): readonly string[] {
  // Extensions of a primitive (`_x`) are checked with the primitive's names by its visitor.
  if ((key !== 'extension' && key !== 'modifierExtension') || owner.def.name === 'Element') {
    return []
  }
  const name = owner.def.name
  return owner.def.kind === 'resource' ? [name, 'Resource', 'DomainResource'] : [name, 'Element']
}

/**
 * An extension whose definition we have (R4 core, or loaded with the profiles) must hold a
 * value of a type its definition allows and sit where its context allows (extensibility.html
 * §2.5.0.2); a loaded definition is also checked in full. Extensions defined nowhere we know
 * pass: `extension` is open (extensibility.html §2.5.0.1).
 */
function checkExtension (ctx: WalkContext, extension: JsonObject, where: string, names: readonly string[]): void {
  const url = extension.url
  if (typeof url !== 'string') {
    return
  }
  const local = ctx.localExtensions.get(url)
  const def = ctx.schema.extensions.get(url) ?? local?.info
  if (!def) {
    return
  }
  if (local) {
    ctx.issues.push(...local.check(extension, where))
  }
  let valueKey: string | undefined
  for (const key in extension) {
    if (key.startsWith('value')) {
      valueKey = key
    }
  }
  if (valueKey !== undefined) {
    const suffix = valueKey.slice(5)
    const allowed = def.valueTypes.some((t) => t.charAt(0).toUpperCase() + t.slice(1) === suffix)
    if (!allowed) {
      ctx.issues.push(issue('error', 'structure', def.valueTypes.length === 0
        ? `The extension ${url} is complex and has no value[x] (${where})`
        : `The extension ${url} takes a value of type ${def.valueTypes.join(' or ')}, not ${suffix} (${where})`, where))
    }
  }
  if (names.length > 0 && def.contexts.length > 0 &&
    !def.contexts.some((c) => c === 'Element' || c === 'Resource' || c === 'DomainResource' || names.includes(c))) {
    ctx.issues.push(issue('error', 'structure',
      `The extension ${url} may not be used here: its context is ${def.contexts.join(', ')}, and this is ${names[0] ?? '?'} (${where})`, where))
  }
}
