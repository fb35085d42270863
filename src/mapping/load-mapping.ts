import { readFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { evalFhirPath, parseFhirPath } from '@medplum/core'
import { mappingVariables } from './evaluate-fields.ts'
import { ENVELOPE_KEYS, envelopeNames } from './mapping.ts'
import type { MapInput, Mapping, MappingDefinition, MappingField } from './mapping.ts'
import { mappingSchema } from './mapping-schema.ts'
import { compileStartUpCheck, type StartUpCheck } from '../start-up-schema.ts'

/**
 * Reads and checks `<dir>/mapping.json`: its shape (ajv), unique output names (envelope and
 * fields, ignoring case, as a case system may read CSV headers), and that every
 * field's FHIRPath parses and runs (a dry run against an empty referral catches unknown
 * `%variables`, which would otherwise fail only when a real referral arrives). The folder
 * name is the partnership id.
 * @param dir - the partnership's folder, e.g. mappings/north-central-london
 * @param check - the compiled shape check, shared when loading many (see mappingCheck)
 * @throws Error naming the file and what is wrong with it
 */
export async function loadMapping (dir: string, check: MappingCheck = mappingCheck()): Promise<Mapping> {
  const file = join(dir, 'mapping.json')
  let data: unknown
  try {
    data = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file}: cannot read mapping: ${(err as Error).message}`, { cause: err })
  }

  if (!check.validate(data)) {
    throw new Error(`${file}: invalid mapping: ${check.errorsText('mapping')}`)
  }

  const seen = new Set<string>(envelopeNames(data).map((name) => name.toLowerCase()))
  if (seen.size !== ENVELOPE_KEYS.length) {
    throw new Error(`${file}: invalid mapping: the envelope names ${envelopeNames(data).join(', ')} are not distinct`)
  }
  const empty: MapInput = {
    serviceRequest: { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: {} },
    task: { resourceType: 'Task', status: 'requested', intent: 'order' }
  }
  const variables = mappingVariables(empty)
  const fields: MappingField[] = []
  for (const field of data.fields) {
    if (seen.has(field.name.toLowerCase())) {
      throw new Error(`${file}: invalid mapping: field name '${field.name}' is used twice (or is an envelope name)`)
    }
    seen.add(field.name.toLowerCase())
    try {
      const compiled = parseFhirPath(field.path)
      evalFhirPath(compiled, empty.serviceRequest, variables)
      fields.push({ ...field, compiled })
    } catch (err) {
      throw new Error(`${file}: invalid mapping: field '${field.name}': ${(err as Error).message}`, { cause: err })
    }
  }
  return { ...data, fields, partnershipId: basename(resolve(dir)) }
}

/** The mapping.json shape check. */
export type MappingCheck = StartUpCheck<MappingDefinition>

/**
 * Compiles the mapping.json schema. Compiling costs ~15 ms, so loadMappings compiles it once
 * for every partnership rather than once each (start-to-ready, bench/intake.ts).
 */
export function mappingCheck (): MappingCheck {
  return compileStartUpCheck<MappingDefinition>(mappingSchema)
}

/**
 * Loads the mapping of each partnership from `<root>/<id>/mapping.json`.
 * @param root - the mappings/ folder
 * @param partnershipIds - the partnerships to load
 */
export async function loadMappings (root: string, partnershipIds: Iterable<string>): Promise<Map<string, Mapping>> {
  const mappings = new Map<string, Mapping>()
  const check = mappingCheck()
  for (const id of partnershipIds) {
    mappings.set(id, await loadMapping(join(root, id), check))
  }
  return mappings
}
