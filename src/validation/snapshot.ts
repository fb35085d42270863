import type { ElementDefinition, ElementDefinitionSlicing, StructureDefinition } from '@medplum/fhirtypes'

/**
 * A small, build-time snapshot generator: it merges a differential onto the snapshot of its
 * base (R4 profiling.html §5.1.0.14 "Snapshot generation"). It covers what the WorkWell and
 * UK Core ServiceRequest differentials use:
 * - constraining existing elements (cardinality, types, bindings, fixed/pattern values, flags);
 * - child paths of a datatype ("unfolding" the type's own snapshot under the element);
 * - slices, including the implicit "sliced by url" rule for `extension` (R4 extensibility.html
 *   §2.5.0.1, which resource snapshots in R4 do not spell out on `X.extension`).
 * It refuses what it cannot merge faithfully (unknown paths, widened cardinality, new types),
 * rather than writing a wrong snapshot. It is not the HL7 snapshot generator: it does not
 * unfold extension slices into their definitions or follow `contentReference`.
 */

/** Looks up the StructureDefinition of a base datatype (e.g. "Coding") to unfold children. */
export type TypeDefinitionLookup = (typeCode: string) => StructureDefinition | undefined

/** The default slicing of every `extension` element (R4 extensibility.html §2.5.0.1). */
const EXTENSION_SLICING: ElementDefinitionSlicing = {
  discriminator: [{ type: 'value', path: 'url' }],
  description: 'Extensions are always sliced by (at least) url',
  rules: 'open'
}

/**
 * Returns a new snapshot element list: `base` (a snapshot, left unchanged) with `differential`
 * applied in order. Throws with a message naming the element when the differential cannot be
 * applied, so the build script fails loudly.
 * @param base - snapshot elements of the base profile or resource
 * @param differential - differential elements of the derived profile (each with an `id`)
 * @param lookupType - finds datatype StructureDefinitions for unfolding
 * @param options - what to do with differential elements the base does not have
 * @returns the merged snapshot elements
 */
export function mergeDifferential (
  base: readonly ElementDefinition[],
  differential: readonly ElementDefinition[],
  lookupType: TypeDefinitionLookup,
  options: SnapshotOptions = {}
): ElementDefinition[] {
  const snapshot: ElementDefinition[] = structuredClone([...base])
  for (const original of differential) {
    if (!original.id) {
      throw new Error(`Differential element ${original.path ?? '?'} has no id`)
    }
    const { id, type } = renameChoices(snapshot, original.id)
    const diff = type !== undefined && original.type === undefined ? { ...original, type: [{ code: type }] } : original
    let index: number
    try {
      index = ensureElement(snapshot, id, diff, lookupType)
    } catch (err) {
      if (err instanceof UnknownElement && options.unknownElements === 'skip') {
        continue
      }
      throw err
    }
    const target = snapshot[index]
    if (!target) {
      throw new Error(`Element ${id} not found`)
    }
    snapshot[index] = mergeElement(target, diff, lookupType)
  }
  return snapshot
}

/** Options of {@link mergeDifferential} and {@link generateSnapshot}. */
export interface SnapshotOptions {
  /**
   * A differential element naming no element of the base (a misspelt path, a child of a
   * choice of several types): 'fail' (the default: the build stops) or 'skip' (it is left
   * out, as the HL7 Java snapshot generator reports and goes on; for third-party profiles).
   */
  readonly unknownElements?: 'fail' | 'skip'
}

/** A differential element that names no element of the base. */
class UnknownElement extends Error {}

/**
 * Rewrites a type-specific choice name to the choice element (R4 profiling.html §5.1.0.10:
 * `Observation.valueQuantity` constrains `Observation.value[x]` when it is a Quantity). An
 * element below such a name narrows the choice to that one type, so that it can be unfolded.
 * @returns the id in snapshot terms, and the type the last step names, if it was renamed
 */
function renameChoices (snapshot: ElementDefinition[], id: string): { id: string, type: string | undefined } {
  const segments = id.split('.')
  let prefix = segments[0] ?? ''
  let type: string | undefined
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] ?? ''
    type = undefined
    const colon = segment.indexOf(':')
    const name = colon < 0 ? segment : segment.slice(0, colon)
    const m = /^([a-z][A-Za-z0-9]*?)([A-Z][A-Za-z0-9]*)$/.exec(name)
    if (m && !snapshot.some((e) => e.id === `${prefix}.${name}`)) {
      const choiceId = `${prefix}.${m[1] ?? ''}[x]`
      const choice = snapshot.find((e) => e.id === choiceId)
      const code = choice?.type?.find((t) => capitalise(t.code ?? '') === m[2])?.code
      if (choice && code !== undefined) {
        type = code
        if (i < segments.length - 1 && (choice.type?.length ?? 0) > 1) {
          choice.type = choice.type?.filter((t) => t.code === code)
        }
        prefix = `${choiceId}${colon < 0 ? '' : segment.slice(colon)}`
        continue
      }
    }
    prefix = `${prefix}.${segment}`
  }
  return { id: prefix, type }
}

function capitalise (code: string): string {
  return code.charAt(0).toUpperCase() + code.slice(1)
}

/**
 * Builds the full StructureDefinition (header and differential from `profile`, snapshot merged
 * onto `base`). The root snapshot element keeps the base root but takes the differential's
 * root changes, if any.
 * @param profile - the derived profile (differential only, or with a stale snapshot)
 * @param base - the base definition, which must have a snapshot
 * @param lookupType - finds datatype StructureDefinitions for unfolding
 * @param options - what to do with differential elements the base does not have
 * @returns a copy of `profile` with a fresh snapshot
 */
export function generateSnapshot (
  profile: StructureDefinition,
  base: StructureDefinition,
  lookupType: TypeDefinitionLookup,
  options: SnapshotOptions = {}
): StructureDefinition {
  const baseElements = base.snapshot?.element
  if (!baseElements || baseElements.length === 0) {
    throw new Error(`Base ${base.url ?? base.name ?? '?'} has no snapshot`)
  }
  if (profile.type !== base.type) {
    throw new Error(`Profile type ${profile.type ?? '?'} differs from base type ${base.type ?? '?'}`)
  }
  const differential = profile.differential?.element ?? []
  const { snapshot: _stale, ...rest } = profile
  return { ...rest, snapshot: { element: mergeDifferential(baseElements, differential, lookupType, options) } }
}

/** Finds the index of the element with `id`, creating it (slice or unfolded child) if needed. */
function ensureElement (
  snapshot: ElementDefinition[],
  id: string,
  diff: ElementDefinition | undefined,
  lookupType: TypeDefinitionLookup
): number {
  const found = snapshot.findIndex((e) => e.id === id)
  if (found >= 0) {
    return found
  }
  const { parentId, last } = splitId(id)
  if (parentId === undefined) {
    throw new Error(`Root element ${id} does not match the base`)
  }
  const colon = last.indexOf(':')
  if (colon >= 0) {
    // "X.extension:foo": a new slice of the element "X.extension", which must exist first.
    const slicedId = `${parentId}.${last.slice(0, colon)}`
    const sliceName = last.slice(colon + 1)
    if (diff?.sliceName !== undefined && diff.sliceName !== sliceName) {
      throw new Error(`Element ${id} has sliceName ${diff.sliceName}`)
    }
    return addSlice(snapshot, slicedId, sliceName, lookupType)
  }
  const parentIndex = ensureElement(snapshot, parentId, undefined, lookupType)
  // Children already present (a resource, a backbone element, an unfolded type) mean the
  // differential names an element that does not exist; otherwise unfold the parent's type.
  if (!isWithin(snapshot[parentIndex + 1]?.id, parentId)) {
    unfold(snapshot, parentIndex, lookupType)
  }
  const index = snapshot.findIndex((e) => e.id === id)
  if (index < 0) {
    throw new UnknownElement(`Element ${id} is not defined in the base`)
  }
  return index
}

/** Splits "A.b:s.c" into parent "A.b:s" and last segment "c" (slice names hold no dots). */
function splitId (id: string): { parentId: string | undefined, last: string } {
  const dot = id.lastIndexOf('.')
  if (dot < 0) {
    return { parentId: undefined, last: id }
  }
  return { parentId: id.slice(0, dot), last: id.slice(dot + 1) }
}

/**
 * Inserts a slice after the sliced element, its children and the slices already there
 * (profiling.html §5.1.0.6: slices follow the slicing entry, in order).
 */
function addSlice (
  snapshot: ElementDefinition[],
  slicedId: string,
  sliceName: string,
  lookupType: TypeDefinitionLookup
): number {
  const slicedIndex = ensureElement(snapshot, slicedId, undefined, lookupType)
  const sliced = snapshot[slicedIndex]
  if (!sliced) {
    throw new Error(`Element ${slicedId} not found`)
  }
  if (!sliced.slicing) {
    if (!/\.(extension|modifierExtension)$/.test(sliced.path ?? '')) {
      throw new Error(`Slice ${sliceName} on ${slicedId}, which has no slicing`)
    }
    sliced.slicing = structuredClone(EXTENSION_SLICING)
  }
  let insertAt = slicedIndex + 1
  while (insertAt < snapshot.length && isWithin(snapshot[insertAt]?.id, slicedId)) {
    insertAt++
  }
  const { slicing: _slicing, ...copy } = structuredClone(sliced)
  // Each slice has its own cardinality within the sliced element's (profiling.html §5.1.0.6):
  // it starts from 0, not from the sliced element's minimum.
  const slice: ElementDefinition = { ...copy, id: `${slicedId}:${sliceName}`, sliceName, min: 0 }
  snapshot.splice(insertAt, 0, slice)
  return insertAt
}

/** True when `id` is a descendant or a slice (or a slice's descendant) of `ancestorId`. */
function isWithin (id: string | undefined, ancestorId: string): boolean {
  return id !== undefined && (id.startsWith(`${ancestorId}.`) || id.startsWith(`${ancestorId}:`))
}

/** Adds the children of the element's single datatype under it (snapshot "unfolding"). */
function unfold (snapshot: ElementDefinition[], index: number, lookupType: TypeDefinitionLookup): void {
  const parent = snapshot[index]
  if (!parent?.id || !parent.path) {
    throw new Error('Cannot unfold an element without id and path')
  }
  const parentId = parent.id
  // A slice has the children of the element it slices (profiling.html §5.1.0.14), including
  // those a base profile constrained.
  const last = parentId.slice(parentId.lastIndexOf('.') + 1)
  const colon = last.indexOf(':')
  if (colon >= 0) {
    const slicedId = parentId.slice(0, parentId.length - last.length + colon)
    const copies = snapshot
      .filter((e) => e.id?.startsWith(`${slicedId}.`))
      .map((e): ElementDefinition => ({ ...structuredClone(e), id: parentId + (e.id ?? '').slice(slicedId.length) }))
    if (copies.length > 0) {
      snapshot.splice(index + 1, 0, ...copies)
      return
    }
  }
  // An element defined by reference to another (Parameters.parameter.part is
  // #Parameters.parameter) has that element's children (elementdefinition.html
  // ElementDefinition.contentReference).
  const reference = parent.contentReference
  if (reference?.startsWith('#') === true) {
    const referencedId = reference.slice(1)
    const referencedPath = snapshot.find((e) => e.id === referencedId)?.path ?? referencedId
    const copies = snapshot
      .filter((e) => e.id?.startsWith(`${referencedId}.`) === true && !(e.id.slice(referencedId.length + 1).includes(':')))
      .map((e): ElementDefinition => ({
        ...structuredClone(e),
        id: parentId + (e.id ?? '').slice(referencedId.length),
        path: parent.path + (e.path ?? '').slice(referencedPath.length)
      }))
    if (copies.length > 0) {
      snapshot.splice(index + 1, 0, ...copies)
      return
    }
  }
  const codes = (parent.type ?? []).map((t) => t.code)
  const code = codes[0]
  if (codes.length !== 1 || code === undefined) {
    throw new UnknownElement(`Cannot unfold ${parentId}: it needs exactly one type, has ${codes.join('|') || 'none'}`)
  }
  if (code === 'BackboneElement' || code === 'Element') {
    throw new Error(`Cannot unfold ${parentId}: its children should already be in the base`)
  }
  const typeSd = lookupType(code)
  const typeElements = typeSd?.snapshot?.element
  const root = typeElements?.[0]?.path
  if (!typeElements || root === undefined) {
    throw new Error(`No definition with a snapshot for type ${code} (unfolding ${parentId})`)
  }
  const children = typeElements.slice(1).map((child): ElementDefinition => {
    const copy = structuredClone(child)
    copy.id = parentId + (child.id ?? child.path ?? '').slice(root.length)
    copy.path = parent.path + (child.path ?? '').slice(root.length)
    return copy
  })
  snapshot.splice(index + 1, 0, ...children)
}

/** Keys whose differential value adds to the base rather than replacing it. */
const APPENDED_KEYS = new Set(['constraint', 'mapping', 'condition', 'alias', 'code', 'example'])

/** Applies one differential element onto its snapshot element, checking it only narrows. */
function mergeElement (target: ElementDefinition, diff: ElementDefinition, lookupType: TypeDefinitionLookup): ElementDefinition {
  const where = diff.id ?? diff.path ?? '?'
  if (diff.min !== undefined && diff.min < (target.min ?? 0)) {
    throw new Error(`${where}: min ${diff.min} is below the base min ${target.min ?? 0}`)
  }
  if (diff.max !== undefined && cardinality(diff.max) > cardinality(target.max ?? '*')) {
    throw new Error(`${where}: max ${diff.max} is above the base max ${target.max ?? '*'}`)
  }
  if (diff.type) {
    const allowed = new Set((target.type ?? []).map((t) => t.code))
    // A Resource element may be narrowed to any resource type (e.g. contained, Bundle.entry.resource).
    const anyResource = allowed.has('Resource') || allowed.has('DomainResource')
    // An element defined by contentReference has no type of its own: it is the referenced
    // backbone element's, which a differential may state.
    if (target.contentReference !== undefined && target.type === undefined) {
      allowed.add('BackboneElement')
    }
    for (const type of diff.type) {
      if (!allowed.has(type.code) && !(anyResource && lookupType(type.code ?? '')?.kind === 'resource')) {
        throw new Error(`${where}: type ${type.code ?? '?'} is not allowed by the base`)
      }
    }
  }
  // id and path stay the snapshot's (a slice's id differs from its path).
  const out: ElementDefinition = { ...target }
  const existing = new Map<string, unknown>(Object.entries(target))
  for (const [key, value] of Object.entries(diff)) {
    if (key === 'id' || key === 'path' || value === undefined) {
      continue
    }
    const before = existing.get(key)
    const merged = APPENDED_KEYS.has(key) && Array.isArray(before) && Array.isArray(value)
      ? appendUnique(before, value)
      : structuredClone(value)
    Object.assign(out, { [key]: merged })
  }
  return out
}

/** Concatenates, skipping items already present (constraints compare by key). */
function appendUnique (existing: unknown[], added: unknown[]): unknown[] {
  const keyOf = (v: unknown): string =>
    typeof v === 'object' && v !== null && 'key' in v && typeof v.key === 'string' ? v.key : JSON.stringify(v)
  const seen = new Set(existing.map(keyOf))
  return [...existing, ...added.filter((v) => !seen.has(keyOf(v))).map((v) => structuredClone(v))]
}

function cardinality (max: string): number {
  return max === '*' ? Number.POSITIVE_INFINITY : Number.parseInt(max, 10)
}
