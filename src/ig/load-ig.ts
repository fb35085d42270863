import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes'
import type { BaseDefinitions } from '../validation/base-definitions.ts'
import { loadBaseDefinitions } from '../validation/base-definitions.ts'
import { createValidator } from '../validation/create-validator.ts'
import { isJsonObject, isStructureDefinition } from '../validation/json.ts'
import type { JsonObject } from '../validation/json.ts'
import type { ResourceValidator } from '../validation/validator.ts'
import { snapshotProfiles } from './profile-snapshots.ts'

/**
 * Extra conformance resources for `workwell validate --ig DIR`: the StructureDefinitions,
 * ValueSets and CodeSystems of an implementation guide folder, used alongside the WorkWell
 * profiles. Differential-only profiles get a snapshot (profile-snapshots.ts) on top of base R4,
 * the WorkWell profiles, or each other.
 */

/** The conformance resource types an IG folder contributes; other JSON is ignored. */
const CONFORMANCE_TYPES = new Set(['StructureDefinition', 'ValueSet', 'CodeSystem'])

/** One conformance resource read from an IG folder. */
export interface IgResource {
  readonly file: string
  readonly resource: JsonObject & { resourceType: string, url?: string }
}

/** A problem that stops the command (a usage error: the folder cannot be used as given). */
export class IgLoadError extends Error {}

/**
 * Reads every *.json under `dir` (sub-folders included) and keeps the StructureDefinitions,
 * ValueSets and CodeSystems. Files that are not JSON objects of those types are skipped and
 * named in `skipped`, as an IG package holds other files too (package.json, .index.json).
 * @param dir - the IG folder
 * @returns the resources, in path order, and the files skipped with why
 */
export async function readIgFolder (dir: string): Promise<{ resources: IgResource[], skipped: string[] }> {
  let names: string[]
  try {
    names = (await readdir(dir, { recursive: true })).filter((n) => n.endsWith('.json')).sort()
  } catch (err) {
    throw new IgLoadError(`--ig ${dir}: cannot read the folder (${err instanceof Error ? err.message : String(err)})`)
  }
  const resources: IgResource[] = []
  const skipped: string[] = []
  for (const name of names) {
    const file = join(dir, name)
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'))
    } catch {
      skipped.push(`${file}: not JSON`)
      continue
    }
    if (isJsonObject(parsed) && typeof parsed.resourceType === 'string' && CONFORMANCE_TYPES.has(parsed.resourceType)) {
      resources.push({ file, resource: parsed as IgResource['resource'] })
    }
  }
  return { resources, skipped }
}

/**
 * Older hand-written profiles name elements by path only; snapshot generation keys on
 * ElementDefinition.id, which R4 defines as path with ":sliceName" after each sliced part
 * (elementdefinition.html §2.44.0.3). Fills in the missing ids.
 */
function withElementIds (sd: StructureDefinition): StructureDefinition {
  const elements = sd.differential?.element ?? []
  if (elements.every((e) => e.id !== undefined)) return sd
  const slices = new Map<string, string>()
  const filled = elements.map((e): ElementDefinition => {
    if (e.id !== undefined) return e
    const path = e.path ?? ''
    let id = path.split('.').map((_p, i, parts) => {
      const prefix = parts.slice(0, i + 1).join('.')
      return parts[i] + (slices.has(prefix) && prefix !== path ? `:${slices.get(prefix) ?? ''}` : '')
    }).join('.')
    if (e.sliceName !== undefined) {
      slices.set(path, e.sliceName)
      id = `${id}:${e.sliceName}`
    }
    return { ...e, id }
  })
  return { ...sd, differential: { ...sd.differential, element: filled } }
}

/**
 * Gives the IG's differential-only StructureDefinitions a snapshot. Their base may be base R4,
 * a WorkWell profile (with its committed snapshot), or another definition of the IG.
 * @param resources - everything read from the --ig folders
 * @param workwell - the WorkWell profiles (with snapshots)
 * @param base - base R4 definitions
 * @returns the resources, StructureDefinitions with snapshots
 */
export function completeSnapshots (resources: readonly IgResource[], workwell: readonly StructureDefinition[], base: BaseDefinitions): IgResource[] {
  const definitions = resources.filter((r) => isStructureDefinition(r.resource)).map((r) => r.resource as unknown as StructureDefinition)
  const needing = definitions.filter((sd) => sd.derivation === 'constraint' && !sd.snapshot?.element?.length).map(withElementIds)
  const known = [...workwell, ...definitions]
  let built: StructureDefinition[]
  try {
    built = snapshotProfiles(needing, base, (url) => known.find((sd) => sd.url === url))
  } catch (err) {
    throw new IgLoadError(`cannot generate a snapshot: ${err instanceof Error ? err.message : String(err)}`)
  }
  return resources.map((r) => {
    const done = built.find((sd) => sd.url !== undefined && sd.url === r.resource.url && isStructureDefinition(r.resource))
    return done === undefined ? r : { file: r.file, resource: done as unknown as IgResource['resource'] }
  })
}

/**
 * Builds the gateway's validator over the WorkWell profiles plus the IG folders. The engine
 * (createValidator) reads one folder of definitions, so the two sets are written together into
 * a temporary folder, which is removed once the validator is built.
 * @param profilesDir - the WorkWell profiles folder (profiles/)
 * @param igDirs - the --ig folders, in the order given
 * @returns the validator and the IG files that were skipped
 */
export async function createIgValidator (profilesDir: string, igDirs: readonly string[]): Promise<{ validator: ResourceValidator, skipped: string[] }> {
  if (igDirs.length === 0) {
    return { validator: await createValidator({ profilesDir }), skipped: [] }
  }
  const read = await Promise.all(igDirs.map(readIgFolder))
  const resources = read.flatMap((r) => r.resources)
  const skipped = read.flatMap((r) => r.skipped)
  const ownNames = (await readdir(profilesDir)).filter((n) => n.endsWith('.json')).sort()
  const own = await Promise.all(ownNames.map(async (n) => JSON.parse(await readFile(join(profilesDir, n), 'utf8')) as unknown))
  const ownUrls = new Set(own.filter(isJsonObject).map((r) => r.url))
  const seen = new Map<string, string>()
  for (const r of resources) {
    const url = r.resource.url
    if (url === undefined) continue
    if (ownUrls.has(url)) throw new IgLoadError(`${r.file} defines ${url}, which is a WorkWell definition already`)
    const first = seen.get(url)
    if (first !== undefined) throw new IgLoadError(`${url} is defined twice: ${first} and ${r.file}`)
    seen.set(url, r.file)
  }
  const workwell = own.filter(isStructureDefinition)
  const complete = completeSnapshots(resources, workwell, await loadBaseDefinitions())
  const work = await mkdtemp(join(tmpdir(), 'workwell-ig-'))
  try {
    await Promise.all(ownNames.map(async (n) => { await copyFile(join(profilesDir, n), join(work, n)) }))
    await Promise.all(complete.map(async (r, i) => {
      await writeFile(join(work, `ig-${String(i).padStart(4, '0')}-${r.resource.resourceType}.json`), JSON.stringify(r.resource))
    }))
    try {
      return { validator: await createValidator({ profilesDir: work }), skipped }
    } catch (err) {
      throw new IgLoadError(`the IG's profiles cannot be used: ${err instanceof Error ? err.message : String(err)}`)
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
