import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { StructureDefinition } from '@medplum/fhirtypes'
import { isStructureDefinition } from './json.ts'

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
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort()
  const profiles: LoadedProfile[] = []
  for (const name of names) {
    const file = join(dir, name)
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'))
    } catch (err) {
      throw new Error(`Cannot read profile ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
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
