import type { StructureDefinition } from '@medplum/fhirtypes'
import type { InvariantScope } from './invariants.ts'
import type { JsonObject } from './json.ts'
import { isJsonObject } from './json.ts'
import type { R4Schema, SchemaInvariant, SchemaType } from './r4-schema.ts'

/**
 * Where the validator evaluates FHIRPath invariants in one resource: every JSON object node
 * with the invariants of its type and of its element (base R4), and of the profiles given (by
 * element path), with its %resource and %rootResource. The differential test against
 * @medplum/core's FHIRPath engine and the invariant benchmark evaluate the same sites.
 */

/** One invariant on one node. */
export interface InvariantSite {
  readonly key: string
  readonly expression: string
  readonly node: JsonObject
  /** the node's type in the compiled schema: "Reference", "Observation.component", "Patient" */
  readonly type: string
  /** the node's FHIRPath, for messages */
  readonly path: string
  readonly scope: InvariantScope
}

/** A profile constraint, by the element path it sits on ("Observation", "ServiceRequest.requester"). */
export interface PathInvariant extends SchemaInvariant {
  readonly elementPath: string
}

/**
 * The error-severity constraints a profile adds to base R4 (keys not among base R4's), on
 * elements outside slices: those the compiled profile evaluates.
 * @param profile - a profile with a snapshot
 * @param baseKeys - keys of base R4's invariants
 * @returns the constraints with their element paths ([x] removed)
 */
export function profileInvariants (profile: StructureDefinition, baseKeys: ReadonlySet<string>): PathInvariant[] {
  const out: PathInvariant[] = []
  for (const e of profile.snapshot?.element ?? []) {
    for (const c of e.constraint ?? []) {
      if (c.key === undefined || baseKeys.has(c.key) || c.severity !== 'error' || c.expression === undefined || e.id?.includes(':') === true) {
        continue
      }
      out.push({ key: c.key, severity: 'error', human: c.human ?? '', expression: c.expression, elementPath: (e.path ?? '').replaceAll('[x]', '') })
    }
  }
  return out
}

/**
 * Keys of every invariant base R4 declares: base validation runs those, not a compiled profile.
 * @param types - the types of the compiled base R4
 * @returns the keys, ele-1 included
 */
export function baseInvariantKeys (types: Iterable<SchemaType>): Set<string> {
  // ele-1 is not compiled: the walk checks it structurally (no empty values anywhere).
  const keys = new Set<string>(['ele-1'])
  for (const t of types) {
    for (const c of t.invariants) {
      keys.add(c.key)
    }
    for (const e of t.elements) {
      for (const c of e.invariants ?? []) {
        keys.add(c.key)
      }
    }
  }
  return keys
}

/**
 * Every invariant site of a resource, nested resources (contained, Bundle entries) included.
 * @param schema - the compiled base R4
 * @param resource - a parsed resource (any JSON; nodes that do not fit the schema are skipped)
 * @param extra - profile constraints by element path, applied wherever such an element is
 * @returns the sites, in document order
 */
export function invariantSites (schema: R4Schema, resource: JsonObject, extra: readonly PathInvariant[] = []): InvariantSite[] {
  const out: InvariantSite[] = []
  const byPath = new Map<string, PathInvariant[]>()
  for (const inv of extra) {
    byPath.set(inv.elementPath, [...(byPath.get(inv.elementPath) ?? []), inv])
  }
  const add = (invariants: readonly SchemaInvariant[] | undefined, node: JsonObject, type: string, path: string, scope: InvariantScope): void => {
    for (const inv of invariants ?? []) {
      if (inv.severity === 'error') {
        out.push({ key: inv.key, expression: inv.expression, node, type, path, scope })
      }
    }
  }
  const visitResource = (obj: JsonObject, path: string, container: JsonObject | undefined): void => {
    const type = obj.resourceType
    const t = typeof type === 'string' ? schema.types[type] : undefined
    if (t?.kind !== 'resource') {
      return
    }
    visit(obj, t, path, t.name, { resource: obj, rootResource: container ?? obj })
  }
  const visit = (obj: JsonObject, t: SchemaType, path: string, elementPath: string, scope: InvariantScope): void => {
    add(t.invariants, obj, t.name, path, scope)
    add(byPath.get(elementPath), obj, t.name, path, scope)
    for (const key in obj) {
      const found = elementOf(t, key)
      if (!found) {
        continue
      }
      const { element, type } = found
      const value = obj[key]
      const items = Array.isArray(value) ? value : [value]
      items.forEach((item, i) => {
        if (!isJsonObject(item)) {
          return
        }
        const where = Array.isArray(value) ? `${path}.${element.name}[${i}]` : `${path}.${element.name}`
        const target = schema.types[type]
        if (type === 'Resource' || target?.kind === 'resource') {
          visitResource(item, where, element.name === 'contained' ? scope.resource : undefined)
          return
        }
        if (!target || target.kind === 'primitive') {
          return
        }
        add(element.invariants, item, target.name, where, scope)
        visit(item, target, where, `${elementPath}.${element.name}`, scope)
      })
    }
  }
  visitResource(resource, typeof resource.resourceType === 'string' ? resource.resourceType : 'Resource', undefined)
  return out
}

/** The element a JSON property name stands for, with the type it selects (a choice's by its suffix). */
function elementOf (t: SchemaType, key: string): { element: SchemaType['elements'][number], type: string } | undefined {
  for (const element of t.elements) {
    if (!element.choice) {
      if (element.name === key) {
        return { element, type: element.types[0] ?? 'string' }
      }
      continue
    }
    if (key.startsWith(element.name)) {
      const suffix = key.slice(element.name.length)
      const type = element.types.find((c) => c.charAt(0).toUpperCase() + c.slice(1) === suffix)
      if (type !== undefined) {
        return { element, type }
      }
    }
  }
  return undefined
}
