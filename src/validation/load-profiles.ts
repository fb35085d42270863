import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { StructureDefinition } from '@medplum/fhirtypes'
import type { JsonObject } from './json.ts'
import { isJsonObject, isStructureDefinition } from './json.ts'

/** A profile ready for validation: its definition and the resource type it constrains. */
export interface LoadedProfile {
  readonly url: string
  /** the resource type it applies to, e.g. "ServiceRequest" */
  readonly type: string
  readonly definition: StructureDefinition
}

/**
 * Reads every StructureDefinition in `dir` (*.json, other resource types are skipped). A profile
 * must carry a snapshot (scripts/build-profile-snapshots.ts writes it), so start-up needs nothing
 * but this folder. Throws on unreadable JSON, a missing url/type/snapshot or a duplicate url:
 * a broken profile folder must stop the gateway from starting, not weaken validation.
 * @param dir - the profiles folder
 * @returns the profiles, in file-name order
 */
export async function loadProfiles (dir: string): Promise<LoadedProfile[]> {
  return profilesOf(await readJsonFiles(dir))
}

/** Everything in a profiles folder the validator uses, read once. */
export interface ProfileFolder {
  readonly profiles: LoadedProfile[]
  /** ValueSets and CodeSystems, for required bindings */
  readonly terminology: JsonObject[]
  /** extension definitions with snapshots */
  readonly extensions: StructureDefinition[]
  /**
   * Global profiles of the ImplementationGuides in the folder (ImplementationGuide.global):
   * every resource of the type must conform to the profile (R4 implementationguide.html).
   */
  readonly globals: { readonly type: string, readonly profile: string }[]
}

/**
 * Reads a profiles folder once: the resource profiles (as {@link loadProfiles}, with its
 * errors), the ValueSets and CodeSystems, and the extension definitions that have a snapshot
 * (one without is left out: its extensions then pass as unknown ones do, extension being open).
 * @param dir - the profiles folder
 * @returns its content, each list in file-name order
 */
export async function loadProfileFolder (dir: string): Promise<ProfileFolder> {
  const files = await readJsonFiles(dir)
  const parsed = files.map((f) => f.parsed)
  return {
    profiles: profilesOf(files),
    terminology: parsed.filter((p): p is JsonObject => isJsonObject(p) && (p.resourceType === 'ValueSet' || p.resourceType === 'CodeSystem')),
    extensions: parsed.filter((p): p is StructureDefinition => isStructureDefinition(p) && p.type === 'Extension' &&
      p.derivation === 'constraint' && p.url !== undefined && (p.snapshot?.element?.length ?? 0) > 0),
    globals: parsed.filter((p): p is JsonObject => isJsonObject(p) && p.resourceType === 'ImplementationGuide').flatMap(globalsOf)
  }
}

function globalsOf (guide: JsonObject): { type: string, profile: string }[] {
  const out: { type: string, profile: string }[] = []
  for (const g of Array.isArray(guide.global) ? guide.global : []) {
    if (isJsonObject(g) && typeof g.type === 'string' && typeof g.profile === 'string') {
      out.push({ type: g.type, profile: g.profile })
    }
  }
  return out
}

function profilesOf (files: readonly { file: string, parsed: unknown }[]): LoadedProfile[] {
  const profiles: LoadedProfile[] = []
  for (const { file, parsed } of files) {
    if (!isStructureDefinition(parsed) || parsed.kind !== 'resource') {
      continue
    }
    const { url, type } = parsed
    if (!url || !type) {
      throw new Error(`Profile ${file} has no url or type`)
    }
    if (!parsed.snapshot?.element?.length) {
      throw new Error(`Profile ${file} has no snapshot: run node scripts/build-profile-snapshots.ts`)
    }
    if (profiles.some((p) => p.url === url)) {
      throw new Error(`Profile ${url} is defined twice (${file})`)
    }
    profiles.push({ url, type, definition: parsed })
  }
  return profiles
}

/** Every *.json file of a folder, parsed, in file-name order; unreadable JSON throws naming the file. */
async function readJsonFiles (dir: string): Promise<{ file: string, parsed: unknown }[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort()
  const out: { file: string, parsed: unknown }[] = []
  for (const name of names) {
    const file = join(dir, name)
    try {
      out.push({ file, parsed: JSON.parse(await readFile(file, 'utf8')) })
    } catch (err) {
      throw new Error(`Cannot read profile ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }
  return out
}
