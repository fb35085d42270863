import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** The repository root. */
export const REPO = resolve(import.meta.dirname, '..', '..')

/**
 * The shared reference data (HL7 test cases, UK Core) lives next to the repository, not in
 * it; a fresh clone has none, and the conformance suites then skip with a reason.
 */
export const SHARED = resolve(REPO, '../shared')

/**
 * Finds a folder of the shared data.
 * @param relative - path under ../shared, e.g. "fhir/test-cases"
 * @returns the absolute path, and the reason to skip when it is absent
 */
export function sharedFolder (relative: string): { dir: string, skipReason: string | undefined } {
  const dir = join(SHARED, relative)
  return { dir, skipReason: existsSync(dir) ? undefined : `${dir} is absent (shared reference data is not in a fresh clone)` }
}
