import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { isJsonObject } from '../../../src/validation/json.ts'
import type { JsonObject } from '../../../src/validation/json.ts'

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..', '..')

/** The committed profiles folder. */
export const PROFILES_DIR = join(ROOT, 'profiles')

/** Reads a JSON fixture (path relative to the repository root) as a fresh object. */
export function readJsonObject (relative: string): JsonObject {
  const parsed: unknown = JSON.parse(readFileSync(join(ROOT, relative), 'utf8'))
  if (!isJsonObject(parsed)) {
    throw new Error(`${relative} is not a JSON object`)
  }
  return parsed
}

/** The NCL GP referral, the base of every mutation test (a fresh copy each call). */
export function gpReferral (): JsonObject {
  return readJsonObject('fixtures/referrals/north-central-london/gp-referral.json')
}

/** Repository-relative paths of the *.json files directly in a fixtures folder (sorted). */
export function jsonFilesIn (relativeDir: string): string[] {
  return readdirSync(join(ROOT, relativeDir), { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => `${relativeDir}/${e.name}`)
    .sort()
}

/** Every valid referral fixture: fixtures/referrals/<partnership>/*.json. */
export function referralFixtures (): string[] {
  return readdirSync(join(ROOT, 'fixtures/referrals'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => jsonFilesIn(`fixtures/referrals/${e.name}`))
    .sort()
}

/** The error and fatal issues only. */
export function errorsOf (issues: readonly OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  return issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')
}

/** "expression: code" for each error, for readable assertions. */
export function errorSummary (issues: readonly OperationOutcomeIssue[]): string[] {
  return errorsOf(issues).map((i) => `${i.expression?.join(',') ?? '(none)'}: ${i.code}`)
}

/** Narrows a nested value for a mutation, failing the test when the fixture changed shape. */
export function objectAt (value: unknown, ...keys: (string | number)[]): JsonObject {
  let current: unknown = value
  for (const key of keys) {
    current = typeof key === 'number'
      ? (Array.isArray(current) ? current[key] : undefined)
      : (isJsonObject(current) ? current[key] : undefined)
  }
  if (!isJsonObject(current)) {
    throw new Error(`No object at ${keys.join('.')}`)
  }
  return current
}
