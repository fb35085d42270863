import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Resource, ServiceRequest, Task } from '@medplum/fhirtypes'
import { inlineStoredResources } from './inline-resources.ts'
import type { MapInput, MapResult, Mapping } from './mapping.ts'

/**
 * Golden examples: mappings/<partnership>/examples/<name>.input.json holds a referral as the
 * delivery worker reads it from the store, and <name>.expected.<json|csv> the exact output
 * the partnership's mapping must give for it. A test checks every example; only
 * scripts/update-golden.ts (run by a person, who reviews the diff) rewrites expected files.
 */

/** The content of an example's input file. */
export interface GoldenInput {
  /** what the example shows */
  description?: string
  /** the ServiceRequest as stored (with its gateway id) */
  serviceRequest: ServiceRequest
  /**
   * for a referral that arrived as a transaction Bundle: the separately stored resources
   * (Patient, Observation, Consent, …) the ServiceRequest references by "Type/id"
   */
  resources?: Resource[]
  /** the triage Task as the intake stored it */
  task: Task
}

/** One example of one partnership. */
export interface GoldenExample {
  partnershipId: string
  name: string
  inputFile: string
  /** where the expected output of a mapping in this format lives */
  expectedFile: (format: Mapping['format']) => string
}

const INPUT_SUFFIX = '.input.json'

/**
 * Every example under `<mappingsDir>/<partnership>/examples/`, sorted by partnership and name.
 * @param mappingsDir - the mappings/ folder
 */
export async function findGoldenExamples (mappingsDir: string): Promise<GoldenExample[]> {
  const found: GoldenExample[] = []
  const partnerships = (await readdir(mappingsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
  for (const partnershipId of partnerships) {
    const dir = join(mappingsDir, partnershipId, 'examples')
    let files: string[]
    try {
      files = await readdir(dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    for (const file of files.filter((f) => f.endsWith(INPUT_SUFFIX)).sort()) {
      const name = file.slice(0, -INPUT_SUFFIX.length)
      found.push({
        partnershipId,
        name,
        inputFile: join(dir, file),
        expectedFile: (format) => join(dir, `${name}.expected.${format === 'csv' ? 'csv' : 'json'}`)
      })
    }
  }
  return found
}

/**
 * The MapInput of an example: a transaction-style referral's separate resources are inlined
 * as the delivery worker does (inlineStoredResources).
 * @param input - the parsed input file
 * @throws Error when it lacks its ServiceRequest or Task
 */
export function goldenMapInput (input: GoldenInput): MapInput {
  if (input.serviceRequest?.resourceType !== 'ServiceRequest' || input.task?.resourceType !== 'Task') {
    throw new Error('an example input needs a ServiceRequest (serviceRequest) and a Task (task)')
  }
  return {
    serviceRequest: inlineStoredResources(input.serviceRequest, input.resources ?? []),
    task: input.task
  }
}

/**
 * The text of an expected file for a mapping result: JSON formats pretty-printed (two spaces,
 * key order kept, a final newline) so that a diff is readable; CSV byte for byte (CRLF).
 * @throws Error when the mapping failed: every golden example must map
 */
export function renderExpected (result: MapResult, format: Mapping['format']): string {
  if (!result.ok) {
    throw new Error(`the mapping failed: missing required field(s) ${result.missing.join(', ')}`)
  }
  return format === 'csv' ? result.body : `${JSON.stringify(JSON.parse(result.body), null, 2)}\n`
}
