import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { isJsonObject } from '../../../src/validation/json.ts'
import type { JsonObject } from '../../../src/validation/json.ts'
import { ROOT } from './helpers.ts'

/** A FHIR resource read from a committed fixture. */
export interface ResourceFixture {
  /** repository-relative path */
  readonly file: string
  readonly resource: JsonObject
}

/**
 * Every committed JSON fixture that is a FHIR resource (has a resourceType), valid and invalid:
 * fixtures/ at any depth, in path order. Mappings' golden files and non-FHIR JSON are left out.
 * @returns the fixtures, each parsed once (callers copy before changing them)
 */
export function resourceFixtures (): ResourceFixture[] {
  const out: ResourceFixture[] = []
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) {
        visit(full)
      } else if (entry.name.endsWith('.json')) {
        const parsed: unknown = JSON.parse(readFileSync(full, 'utf8'))
        if (isJsonObject(parsed) && typeof parsed.resourceType === 'string') {
          out.push({ file: relative(ROOT, full), resource: parsed })
        }
      }
    }
  }
  visit(join(ROOT, 'fixtures'))
  return out
}
