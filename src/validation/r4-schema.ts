import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes'
import { isJsonObject } from './json.ts'
import type { JsonObject } from './json.ts'

/**
 * The compiled form of base FHIR R4 (docs/decisions/compiled-validator.md): every datatype, resource and backbone
 * element reduced to what validation needs, written once at build time
 * (src/validation/build-r4-schema.ts → compiled/r4-base.json) so that start-up reads a small
 * JSON file instead of indexing 40 MB of StructureDefinitions.
 */

/** One FHIRPath invariant (ElementDefinition.constraint) of severity error or warning. */
export interface SchemaInvariant {
  readonly key: string
  readonly severity: 'error' | 'warning'
  readonly human: string
  readonly expression: string
}

/** One element of a type, as JSON sees it. */
export interface SchemaElement {
  /** JSON property name, without [x] for a choice */
  readonly name: string
  /** type codes; a backbone element's type is its own path, e.g. "Patient.contact" */
  readonly types: readonly string[]
  readonly choice: boolean
  readonly min: number
  /** -1 for unbounded */
  readonly max: number
  /** whether the JSON value is an array (base max ≠ 1) */
  readonly array: boolean
  /** canonical URL of a required binding this project can expand (see {@link R4Schema.valueSets}) */
  readonly binding?: string
  /** invariants declared on the element itself (not those of its type) */
  readonly invariants?: readonly SchemaInvariant[]
  /** typed System.* in R4 (Element.id, Extension.url, Resource.id): no `_x` extension element */
  readonly system?: true
  /** a type profile narrowing the type (only SimpleQuantity matters to base R4) */
  readonly simpleQuantity?: true
}

/** A datatype, resource or backbone element. */
export interface SchemaType {
  readonly name: string
  readonly kind: 'primitive' | 'complex' | 'resource' | 'backbone'
  readonly abstract?: true
  readonly elements: readonly SchemaElement[]
  /** invariants of the type's root element (ref-1 on Reference, dom-2 on resources...) */
  readonly invariants: readonly SchemaInvariant[]
  /** primitives: the JSON kind and the R4 regular expression of the value */
  readonly json?: 'string' | 'boolean' | 'integer' | 'decimal'
  readonly regex?: string
}

/** What an extension definition says about where it goes and what it holds. */
export interface SchemaExtension {
  /** ElementDefinition paths or type names where it may be used (context type "element") */
  readonly contexts: readonly string[]
  /** allowed value[x] types; empty when the extension is complex (no value) */
  readonly valueTypes: readonly string[]
}

/** The compiled base R4. */
export interface R4Schema {
  readonly fhirVersion: string
  readonly types: Readonly<Record<string, SchemaType>>
  /** required-binding value sets, expanded: canonical URL → "system|code" (system may be "") */
  readonly valueSets: Readonly<Record<string, readonly string[]>>
  /** R4 core extension definitions, by URL */
  readonly extensions: Readonly<Record<string, SchemaExtension>>
}

const FHIR_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type'
const REGEX_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/regex'
const SIMPLE_QUANTITY = 'http://hl7.org/fhir/StructureDefinition/SimpleQuantity'

/** JSON representation of the R4 primitives (json.html §2.6.2: numbers and booleans are not strings). */
const JSON_KIND: Readonly<Record<string, SchemaType['json']>> = {
  boolean: 'boolean',
  integer: 'integer',
  positiveInt: 'integer',
  unsignedInt: 'integer',
  decimal: 'decimal'
}

/**
 * Compiles base R4 definitions.
 * @param definitions - profiles-types and profiles-resources StructureDefinitions
 * @param terminology - the ValueSets and CodeSystems of R4 (valuesets.json)
 * @param extensionDefinitions - R4 core extension StructureDefinitions
 * @returns the compiled schema
 */
export function compileR4Schema (
  definitions: readonly StructureDefinition[],
  terminology: readonly JsonObject[],
  extensionDefinitions: readonly StructureDefinition[]
): R4Schema {
  const types: Record<string, SchemaType> = {}
  const expander = valueSetExpander(terminology)
  const valueSets: Record<string, readonly string[]> = {}
  const bindingOf = (e: ElementDefinition): string | undefined => {
    if (e.binding?.strength !== 'required' || !e.binding.valueSet) {
      return undefined
    }
    const url = e.binding.valueSet.split('|')[0] ?? ''
    if (!(url in valueSets)) {
      const codes = expander(url)
      if (codes === undefined) {
        return undefined
      }
      valueSets[url] = codes
    }
    return url
  }
  for (const sd of definitions) {
    if (sd.derivation !== 'specialization' && sd.kind !== 'primitive-type' && sd.url !== 'http://hl7.org/fhir/StructureDefinition/Element' &&
      sd.url !== 'http://hl7.org/fhir/StructureDefinition/Resource' && sd.url !== 'http://hl7.org/fhir/StructureDefinition/BackboneElement') {
      continue // profiles of types (SimpleQuantity, MoneyQuantity…) are not types
    }
    const elements = sd.snapshot?.element ?? []
    const name = sd.type ?? sd.name ?? ''
    if (!elements.length || name === '' || sd.kind === 'logical') {
      continue
    }
    compileType(sd, elements, types, bindingOf)
  }
  const extensions: Record<string, SchemaExtension> = {}
  for (const sd of extensionDefinitions) {
    if (sd.type !== 'Extension' || !sd.url) {
      continue
    }
    const value = sd.snapshot?.element?.find((e) => e.path === 'Extension.value[x]' && e.id === 'Extension.value[x]')
    extensions[sd.url] = {
      contexts: (sd.context ?? []).filter((c) => c.type === 'element').map((c) => c.expression ?? ''),
      valueTypes: value?.max === '0' ? [] : (value?.type ?? []).map((t) => t.code ?? '')
    }
  }
  return { fhirVersion: '4.0.1', types, valueSets, extensions }
}

function compileType (
  sd: StructureDefinition,
  elements: readonly ElementDefinition[],
  types: Record<string, SchemaType>,
  bindingOf: (e: ElementDefinition) => string | undefined
): void {
  const root = elements[0]
  const typeName = sd.type ?? ''
  const kind: SchemaType['kind'] = sd.kind === 'primitive-type' ? 'primitive' : sd.kind === 'resource' ? 'resource' : 'complex'
  // Backbone elements become types of their own, named by path.
  const backbonePaths = new Set<string>([typeName])
  for (const e of elements.slice(1)) {
    const codes = (e.type ?? []).map((t) => t.code)
    if (e.path && (codes.includes('BackboneElement') || (codes.includes('Element') && typeName !== 'Element'))) {
      backbonePaths.add(e.path)
    }
  }
  const children = new Map<string, ElementDefinition[]>()
  for (const e of elements.slice(1)) {
    const path = e.path ?? ''
    if (e.sliceName !== undefined || e.id?.includes(':')) {
      continue
    }
    const parent = path.slice(0, path.lastIndexOf('.'))
    if (backbonePaths.has(parent)) {
      children.set(parent, [...(children.get(parent) ?? []), e])
    }
  }
  for (const path of backbonePaths) {
    const own = children.get(path) ?? []
    const isRoot = path === typeName
    const out: SchemaType = {
      name: path,
      kind: isRoot ? kind : 'backbone',
      ...(isRoot && sd.abstract ? { abstract: true as const } : {}),
      elements: kind === 'primitive' && isRoot ? own.filter((e) => !e.path?.endsWith('.value')).map((e) => compileElement(e, backbonePaths, bindingOf)) : own.map((e) => compileElement(e, backbonePaths, bindingOf)),
      invariants: isRoot ? invariantsOf(root) : invariantsOf(elements.find((e) => e.path === path && !e.id?.includes(':')))
    }
    if (isRoot && kind === 'primitive') {
      const value = own.find((e) => e.path === `${typeName}.value`)
      const regex = value?.type?.[0]?.extension?.find((x) => x.url === REGEX_EXTENSION)?.valueString
      Object.assign(out, { json: JSON_KIND[typeName] ?? 'string', ...(regex === undefined ? {} : { regex }) })
    }
    types[path] = out
  }
}

function compileElement (
  e: ElementDefinition,
  backbonePaths: ReadonlySet<string>,
  bindingOf: (e: ElementDefinition) => string | undefined
): SchemaElement {
  const path = e.path ?? ''
  const last = path.slice(path.lastIndexOf('.') + 1)
  const choice = last.endsWith('[x]')
  let codes: string[]
  if (e.contentReference) {
    codes = [e.contentReference.replace(/^.*#/, '')]
  } else if (backbonePaths.has(path)) {
    codes = [path]
  } else {
    codes = (e.type ?? []).map((t) => {
      const code = t.code ?? ''
      if (!code.startsWith('http://hl7.org/fhirpath/System.')) {
        return code
      }
      // Resource.id is typed System.String in R4, but its content is an id (resource.html §2.36.1).
      if (e.base?.path === 'Resource.id') {
        return 'id'
      }
      return t.extension?.find((x) => x.url === FHIR_TYPE_EXTENSION)?.valueUrl ?? 'string'
    })
  }
  // Elements typed System.* in R4 (Element.id, Extension.url, Resource.id) take no `_x` extension element.
  const system = !e.contentReference && (e.type ?? []).some((t) => t.code?.startsWith('http://hl7.org/fhirpath/System.'))
  const max = e.max === '*' || e.max === undefined ? -1 : Number(e.max)
  const baseMax = e.base?.max ?? e.max ?? '1'
  const binding = codes.some((c) => c === 'code' || c === 'Coding' || c === 'CodeableConcept') ? bindingOf(e) : undefined
  const invariants = invariantsOf(e).filter((i) => i.key !== 'ext-1' || !codes.includes('Extension'))
  return {
    name: choice ? last.slice(0, -3) : last,
    types: codes,
    choice,
    min: e.min ?? 0,
    max,
    array: baseMax !== '1' && baseMax !== '0',
    ...(binding === undefined ? {} : { binding }),
    ...(system ? { system: true as const } : {}),
    ...(invariants.length === 0 ? {} : { invariants }),
    ...(e.type?.some((t) => t.profile?.includes(SIMPLE_QUANTITY)) ? { simpleQuantity: true as const } : {})
  }
}

/** Invariants worth running: errors and warnings, without ele-1 (checked structurally: no empty values). */
function invariantsOf (e: ElementDefinition | undefined): SchemaInvariant[] {
  const out: SchemaInvariant[] = []
  for (const c of e?.constraint ?? []) {
    if (!c.key || !c.expression || c.key === 'ele-1' || (c.severity !== 'error' && c.severity !== 'warning')) {
      continue
    }
    out.push({ key: c.key, severity: c.severity, human: c.human ?? c.key, expression: c.expression })
  }
  return out
}

/**
 * Expands the value sets that can be expanded without a terminology server: every include is a
 * list of codes, or a whole code system whose content is complete; no filters, no excludes,
 * no imported value sets (terminology-module.html §4.9.8).
 * @param terminology - ValueSets and CodeSystems
 * @returns the expander: canonical URL (without version) → "system|code" list, or undefined
 */
export function valueSetExpander (terminology: readonly JsonObject[]): (url: string) => string[] | undefined {
  const valueSets = new Map<string, JsonObject>()
  const codeSystems = new Map<string, JsonObject>()
  for (const r of terminology) {
    if (typeof r.url !== 'string') {
      continue
    }
    if (r.resourceType === 'ValueSet') {
      valueSets.set(r.url, r)
    } else if (r.resourceType === 'CodeSystem') {
      codeSystems.set(r.url, r)
    }
  }
  const allCodes = (concepts: unknown, out: string[], system: string): void => {
    for (const c of Array.isArray(concepts) ? concepts : []) {
      if (isJsonObject(c) && typeof c.code === 'string') {
        out.push(`${system}|${c.code}`)
        allCodes(c.concept, out, system)
      }
    }
  }
  return (url) => {
    const vs = valueSets.get(url)
    const compose = vs?.compose
    if (!isJsonObject(compose) || compose.exclude !== undefined || !Array.isArray(compose.include)) {
      return undefined
    }
    const out: string[] = []
    for (const include of compose.include) {
      if (!isJsonObject(include) || include.valueSet !== undefined || include.filter !== undefined || typeof include.system !== 'string') {
        return undefined
      }
      const system = include.system
      if (Array.isArray(include.concept)) {
        for (const c of include.concept) {
          if (isJsonObject(c) && typeof c.code === 'string') {
            out.push(`${system}|${c.code}`)
          }
        }
        continue
      }
      const cs = codeSystems.get(system)
      if (!cs || cs.content !== 'complete') {
        return undefined
      }
      allCodes(cs.concept, out, system)
    }
    return out.length === 0 ? undefined : [...new Set(out)].sort()
  }
}
