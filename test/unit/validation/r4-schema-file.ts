import { readFileSync } from 'node:fs'
import type { R4Schema } from '../../../src/validation/r4-schema.ts'

/**
 * Reads the compiled base R4 (compiled/r4-base.json) as the build wrote it.
 * @param file - the compiled schema file
 * @returns its parsed content
 */
export function readR4Schema (file: string): R4Schema {
  return JSON.parse(readFileSync(file, 'utf8')) as R4Schema
}
