import {
  indexStructureDefinitionBundle,
  OperationOutcomeError as MedplumOutcomeError,
  parseStructureDefinition,
  validateResource
} from '@medplum/core'
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import type { BaseDefinitions } from './base-definitions.ts'
import { rebasePath, toFhirPath } from './issues.ts'
import { isJsonObject } from './json.ts'

/**
 * The structural engine of the skeleton: @medplum/core's `validateResource`. It checks base R4
 * structure (unknown elements, JSON types, cardinality, primitive formats, error-level
 * invariants, contained resources as their own types) and, given a snapshot, a profile's
 * cardinality and fixed/pattern values. What it leaves out is added by the other modules of
 * this folder (shared/reference/validators.md §3 lists its gaps).
 */

/**
 * Indexes the base R4 definitions in @medplum/core's process-wide type index. Re-indexing
 * replaces the same entries, so calling it once per validator is harmless.
 * @param definitions - base R4 datatypes and resources
 */
export function indexBaseDefinitions (definitions: BaseDefinitions): void {
  indexStructureDefinitionBundle([...definitions.types, ...definitions.resources])
}

/**
 * Checks at start-up that the engine can read a profile: its parser throws on snapshots it
 * cannot handle (e.g. slices before their slicing, or `exists` discriminators).
 * @param profile - a StructureDefinition with a snapshot
 */
export function assertEngineAccepts (profile: StructureDefinition): void {
  parseStructureDefinition(profile)
}

/**
 * Validates one resource with @medplum/core, against base R4 or, when given, a profile
 * snapshot (which includes base R4). The caller must have checked that `resource` is an object
 * with a known resourceType and, for a profile, that the profile is for that type.
 * @param resource - the resource to validate
 * @param profile - the profile, with snapshot, to validate against instead of base R4
 * @param path - FHIRPath of the resource when it is nested, e.g. "Bundle.entry[0].resource"
 * @returns our issues (never throws)
 */
export function validateWithMedplum (
  resource: Resource,
  profile?: StructureDefinition,
  path: string = resource.resourceType
): OperationOutcomeIssue[] {
  let raw: OperationOutcomeIssue[]
  try {
    // It returns the warnings, and throws all issues at once when one of them is an error.
    raw = validateResource(resource, profile ? { profile } : undefined)
  } catch (err) {
    if (err instanceof MedplumOutcomeError) {
      raw = err.outcome.issue ?? []
    } else {
      const message = err instanceof Error ? err.message : String(err)
      return [issue('error', 'exception', `The structure validator failed on this resource: ${message}`, path)]
    }
  }
  return raw.filter(isUseful).map((i) => convertIssue(i, resource.resourceType, path))
}

/**
 * @medplum/core warns about every `urn:uuid:` reference, which BaRS and transaction Bundles use
 * throughout (validators.md §3): drop those warnings.
 */
function isUseful (raw: OperationOutcomeIssue): boolean {
  return !(raw.details?.text ?? '').startsWith('Invalid reference: got "urn:')
}

/** Converts one medplum issue: text into diagnostics, FHIRPath expression, known codes only. */
function convertIssue (raw: OperationOutcomeIssue, type: string, path: string): OperationOutcomeIssue {
  const expression = (raw.expression ?? []).map((e) => rebasePath(toFhirPath(e), type, path))
  const where = expression[0]
  const text = raw.details?.text ?? raw.diagnostics ?? 'Invalid content'
  const out = issue(raw.severity, codeOf(raw.code), humanise(text, where, raw.diagnostics))
  if (expression.length > 0) {
    out.expression = expression
  }
  return out
}

/** The issue types medplum emits; anything else becomes the generic 'invalid'. */
const KNOWN_CODES: ReadonlySet<OperationOutcomeIssue['code']> = new Set<OperationOutcomeIssue['code']>(
  ['structure', 'invariant', 'required', 'value', 'invalid', 'processing', 'not-supported'])

function codeOf (code: OperationOutcomeIssue['code']): OperationOutcomeIssue['code'] {
  return KNOWN_CODES.has(code) ? code : 'invalid'
}

/**
 * Rewrites medplum's terse texts into sentences a sender can act on. Unknown texts pass
 * through, prefixed with the element they concern.
 */
function humanise (text: string, where: string | undefined, diagnostics: string | undefined): string {
  const element = where ?? 'The resource'
  const name = where?.split('.').at(-1) ?? ''
  if (text === 'Missing required property') {
    return `Missing required element '${name}' (${element})`
  }
  const additional = /^Invalid additional property "(.+)"$/.exec(text)
  if (additional) {
    return `Unknown element '${additional[1] ?? ''}': it is not defined here in FHIR R4 or the profile (${element})`
  }
  if (text === 'Expected single value for property') {
    return `${element} takes a single value, not an array`
  }
  if (text === 'Expected array of values for property') {
    return `${element} repeats, so it must be an array`
  }
  if (text.startsWith('Constraint ')) {
    const fhirpath = invariantExpression(diagnostics)
    return fhirpath ? `${text} (${element}; FHIRPath: ${fhirpath})` : `${text} (${element})`
  }
  return `${text} (${element})`
}

/** Invariant issues carry their FHIRPath in medplum's diagnostics as JSON: {"fhirpath": "..."}. */
function invariantExpression (diagnostics: string | undefined): string | undefined {
  if (!diagnostics) {
    return undefined
  }
  try {
    const data: unknown = JSON.parse(diagnostics)
    return isJsonObject(data) && typeof data.fhirpath === 'string' ? data.fhirpath : undefined
  } catch {
    return undefined
  }
}
