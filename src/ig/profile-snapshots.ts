import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes'
import type { BaseDefinitions } from '../validation/base-definitions.ts'
import { findBaseDefinition, HL7_STRUCTURE_DEFINITION } from '../validation/base-definitions.ts'
import type { TypeDefinitionLookup } from '../validation/snapshot.ts'
import { generateSnapshot, mergeDifferential } from '../validation/snapshot.ts'

/**
 * Snapshots for profiles given as differentials: the build script (profiles/) and
 * `workwell validate --ig DIR` both resolve a profile's baseDefinition chain and merge each
 * differential onto its base with src/validation/snapshot.ts.
 *
 * One addition on top of that generator: slices of a BackboneElement (e.g.
 * `Observation.component:phasedReturn`), which it refuses to unfold. R4 profiling.html
 * §5.1.0.14 gives a slice the children of the element it slices, so those are copied under
 * the slice here before the slice's own differential is merged onto them.
 */

/** Resolves a canonical URL that is neither base R4 nor in the set being built (e.g. UK Core). */
export type ExternalDefinition = (url: string) => StructureDefinition | undefined

/**
 * Gives every constraint profile of `profiles` a snapshot, following baseDefinition through
 * the set itself, `external` and base R4. Throws naming the profile when a base cannot be
 * found or a differential cannot be merged.
 * @param profiles - differential StructureDefinitions (a stale snapshot is ignored)
 * @param base - base R4 definitions
 * @param external - other definitions to derive from: used as they are when they have a
 *   snapshot, else given one the same way
 * @returns the same profiles, in order, each with a fresh snapshot
 */
export function snapshotProfiles (
  profiles: readonly StructureDefinition[],
  base: BaseDefinitions,
  external: ExternalDefinition = () => undefined
): StructureDefinition[] {
  const lookupType: TypeDefinitionLookup = (code) => findBaseDefinition(base, code)
  const done = new Map<string, StructureDefinition>()
  const resolving = new Set<string>()

  const withSnapshot = (url: string): StructureDefinition => {
    const cached = done.get(url)
    if (cached) return cached
    let result: StructureDefinition | undefined
    if (url.startsWith(HL7_STRUCTURE_DEFINITION)) {
      result = findBaseDefinition(base, url.slice(HL7_STRUCTURE_DEFINITION.length))
    } else {
      const own = profiles.find((p) => p.url === url)
      const other = own === undefined ? external(url) : undefined
      // A definition from elsewhere that already has a snapshot is taken as published.
      if (own) result = derive(own)
      else if (other) result = other.snapshot?.element?.length ? other : derive(other)
    }
    if (!result) throw new Error(`Cannot resolve base definition ${url}`)
    done.set(url, result)
    return result
  }

  const derive = (sd: StructureDefinition): StructureDefinition => {
    const url = sd.url ?? '?'
    if (!sd.baseDefinition || !sd.type) throw new Error(`${url} has no baseDefinition or type`)
    if (resolving.has(url)) throw new Error(`${url} derives from itself`)
    resolving.add(url)
    try {
      return deriveSnapshot(sd, withSnapshot(sd.baseDefinition), lookupType)
    } catch (err) {
      throw new Error(`${url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    } finally {
      resolving.delete(url)
    }
  }

  return profiles.map((p) => (p.derivation === 'constraint' && p.url !== undefined ? withSnapshot(p.url) : p))
}

/**
 * {@link generateSnapshot}, plus slices of BackboneElements: the differential is merged in two
 * passes, the second after each such slice has been given its sliced element's children.
 * @param profile - the derived profile
 * @param base - its base, with a snapshot
 * @param lookupType - datatype definitions for unfolding
 * @returns a copy of `profile` with a fresh snapshot
 */
export function deriveSnapshot (profile: StructureDefinition, base: StructureDefinition, lookupType: TypeDefinitionLookup): StructureDefinition {
  const differential = profile.differential?.element ?? []
  const baseElements = base.snapshot?.element ?? []
  const backbones = new Set(baseElements.filter((e) => e.type?.length === 1 && e.type[0]?.code === 'BackboneElement').map((e) => e.id))
  const underBackboneSlice = (e: ElementDefinition): boolean => {
    const sliced = backboneSliceOf(e.id ?? '', backbones)
    return sliced !== undefined && (e.id ?? '') !== sliced.sliceId
  }
  const first = differential.filter((e) => !underBackboneSlice(e))
  const second = differential.filter(underBackboneSlice)
  const merged = generateSnapshot({ ...profile, differential: { element: first } }, base, lookupType)
  if (second.length === 0) {
    return { ...merged, differential: profile.differential ?? { element: [] } }
  }
  const elements = merged.snapshot?.element ?? []
  const sliceIds = new Set(second.map((e) => backboneSliceOf(e.id ?? '', backbones)?.sliceId))
  for (const sliceId of sliceIds) {
    if (sliceId !== undefined) addSliceChildren(elements, sliceId)
  }
  return {
    ...merged,
    differential: profile.differential ?? { element: [] },
    snapshot: { element: mergeDifferential(elements, second, lookupType) }
  }
}

/** For "A.b:s.c" where A.b is a BackboneElement, the slice "A.b:s" and the sliced "A.b". */
function backboneSliceOf (id: string, backbones: ReadonlySet<string | undefined>): { sliceId: string, slicedId: string } | undefined {
  const parts = id.split('.')
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] ?? ''
    const colon = part.indexOf(':')
    if (colon < 0) continue
    const slicedId = [...parts.slice(0, i), part.slice(0, colon)].join('.')
    if (backbones.has(slicedId)) {
      return { sliceId: [...parts.slice(0, i), part].join('.'), slicedId }
    }
  }
  return undefined
}

/** Copies the children of the sliced element under the slice, right after the slice element. */
function addSliceChildren (elements: ElementDefinition[], sliceId: string): void {
  const at = elements.findIndex((e) => e.id === sliceId)
  if (at < 0) throw new Error(`Slice ${sliceId} not found`)
  if (elements[at + 1]?.id?.startsWith(`${sliceId}.`) === true) return
  const slicedId = sliceId.slice(0, sliceId.lastIndexOf(':'))
  const children = elements
    .filter((e) => e.id?.startsWith(`${slicedId}.`) === true)
    .map((e): ElementDefinition => ({ ...structuredClone(e), id: sliceId + (e.id ?? '').slice(slicedId.length) }))
  elements.splice(at + 1, 0, ...children)
}
