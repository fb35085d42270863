import { isResourceType } from '@medplum/core'
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import type { BaseDefinitions } from './base-definitions.ts'
import { loadBaseDefinitions } from './base-definitions.ts'
import type { CompiledProfileCheck } from './compiled-profile.ts'
import { compileProfile } from './compiled-profile.ts'
import { finaliseIssues } from './issues.ts'
import type { JsonObject } from './json.ts'
import { describeJson, isJsonObject } from './json.ts'
import { checkEmptyValues } from './empty-values.ts'
import { guardJsonShape } from './json-shape.ts'
import type { LoadedProfile } from './load-profiles.ts'
import { loadProfiles } from './load-profiles.ts'
import { assertEngineAccepts, indexBaseDefinitions, validateWithMedplum } from './medplum-engine.ts'
import type { ReferenceRule } from './reference-targets.ts'
import { checkReferenceTargets, referenceRulesOf } from './reference-targets.ts'
import { isInsideReplaced, scanNestedResources } from './nested-resources.ts'
import type { ResourceValidator, ValidateOptions } from './validator.ts'
import { checkValues } from './value-checks.ts'

/** A loaded profile with the rules computed once from its snapshot. */
interface PreparedProfile extends LoadedProfile {
  readonly referenceRules: readonly ReferenceRule[]
  /** the profile compiled to checks, when the compiled engine is on */
  readonly compiled: CompiledProfileCheck | undefined
}

/**
 * Which engine applies profiles: 'medplum' hands the snapshot to @medplum/core on every call;
 * 'compiled' compiles each profile once at start-up (compiled-profile.ts) and runs medplum for
 * base R4 only. 'compiled' is the default: every suite passes with it and it gets more HL7
 * conformance verdicts right (109/161 against 104/161); 'medplum' stays for comparison.
 */
export type ProfileEngine = 'medplum' | 'compiled'

/** Options of {@link createValidator}. */
export interface CreateValidatorOptions {
  /** folder of *.json StructureDefinitions (profiles/ in this repository) */
  readonly profilesDir: string
  /** how profiles are applied; default 'compiled' */
  readonly engine?: ProfileEngine
}

/**
 * Builds the walking-skeleton validator: base R4 structure from @medplum/core (its definitions
 * indexed here, in its process-wide index), the profiles in `profilesDir` (StructureDefinitions
 * with snapshots), and the checks medplum does not make (required codes, dateTime zones, NHS
 * number and ODS code, reference targets under a profile, unknown nested resource types, JSON
 * shapes that break it). Rejects when a profile cannot be read or used, so a bad profiles
 * folder stops start-up rather than weakening validation.
 * @param options - where the profiles are
 * @param options.profilesDir - folder of *.json StructureDefinitions (profiles/ in this repository)
 * @param options.engine - how profiles are applied (see {@link ProfileEngine})
 * @returns the validator
 */
export async function createValidator (options: CreateValidatorOptions): Promise<ResourceValidator> {
  const base = await loadBaseDefinitions()
  indexBaseDefinitions(base)
  const engine = options.engine ?? 'compiled'
  const baseKeys = engine === 'compiled' ? baseConstraintKeys(base) : new Set<string>()
  const loaded = await loadProfiles(options.profilesDir)
  const typeOf = (url: string): string | undefined => loaded.find((p) => p.url === url)?.type
  const profiles = new Map<string, PreparedProfile>()
  for (const profile of loaded) {
    if (!isResourceType(profile.type)) {
      throw new Error(`Profile ${profile.url} constrains ${profile.type}, which is not an R4 resource`)
    }
    let compiled: CompiledProfileCheck | undefined
    try {
      if (engine === 'compiled') {
        compiled = compileProfile(profile.definition, baseKeys)
      } else {
        assertEngineAccepts(profile.definition)
      }
    } catch (err) {
      throw new Error(`Profile ${profile.url} cannot be used: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    profiles.set(profile.url, { ...profile, referenceRules: referenceRulesOf(profile.definition, typeOf), compiled })
  }
  const urls = Object.freeze([...profiles.keys()])
  return {
    profiles: urls,
    validate (resource: unknown, validateOptions?: ValidateOptions): OperationOutcomeIssue[] {
      try {
        return validateValue(resource, validateOptions?.profile, profiles)
      } catch (err) {
        // Every known failure is an issue already; this is the promise never to throw.
        const message = err instanceof Error ? err.message : String(err)
        return [issue('error', 'exception', `The validator failed: ${message}`)]
      }
    }
  }
}

function validateValue (
  value: unknown,
  requested: string | undefined,
  profiles: ReadonlyMap<string, PreparedProfile>
): OperationOutcomeIssue[] {
  if (!isJsonObject(value)) {
    return [issue('error', 'structure', `Expected a FHIR resource (a JSON object), got ${describeJson(value)}`)]
  }
  const type = value.resourceType
  if (typeof type !== 'string') {
    return [issue('error', 'structure', 'The JSON object has no resourceType, so it is not a FHIR resource')]
  }
  if (!isResourceType(type)) {
    return [issue('error', 'invalid', `Unknown resource type '${type}': it is not a FHIR R4 resource`)]
  }

  // First take out what would make the engine throw or blow up, each reported as an issue.
  const shaped = guardJsonShape(value, type)
  const { input, replaced, issues: unknownIssues, nested } = scanNestedResources(shaped.input, type)
  // The input keeps the original's resourceType, which the engine knows (checked above).
  const resource = input as unknown as Resource
  const selected = selectProfiles(value, type, type, requested, profiles)
  const found: OperationOutcomeIssue[] = [...selected.issues]
  const referenceIssues: OperationOutcomeIssue[] = []

  if (selected.applied.length === 0 || selected.applied.some((p) => p.compiled !== undefined)) {
    found.push(...validateWithMedplum(resource))
  }
  for (const profile of selected.applied) {
    found.push(...applyProfile(profile, resource, type))
    referenceIssues.push(...checkReferenceTargets(value, profile.referenceRules, type, value))
  }
  // Nested resources (contained, Bundle entries) get base R4 from the pass above, which walks
  // them as their own types; the profiles they claim are applied to them here.
  for (const inner of nested) {
    const innerSelected = selectProfiles(inner.resource, inner.type, inner.path, undefined, profiles)
    found.push(...innerSelected.issues)
    for (const profile of innerSelected.applied) {
      found.push(...applyProfile(profile, inner.resource, inner.path))
      referenceIssues.push(...checkReferenceTargets(inner.resource, profile.referenceRules, inner.path, inner.container))
    }
  }
  try {
    found.push(...checkValues(resource))
  } catch (err) {
    // Its walk is medplum's crawler; after the guards above it should not throw, but if it
    // does the other findings still stand.
    found.push(issue('error', 'exception', `Value checks could not run: ${err instanceof Error ? err.message : String(err)}`, type))
  }

  const superseded = new Set(referenceIssues.map((i) => i.expression?.[0]))
  const kept = found.filter((i) =>
    !isInsideReplaced(i, replaced) &&
    // Our reference errors replace medplum's weaker warning on the same element.
    !(i.severity === 'warning' && superseded.has(i.expression?.[0]) && (i.diagnostics ?? '').startsWith('Invalid reference')))
  return finaliseIssues([...checkEmptyValues(value, type), ...shaped.issues, ...unknownIssues, ...kept, ...referenceIssues])
}

/** The issues of one profile on one (possibly nested) resource, from whichever engine it was prepared for. */
function applyProfile (profile: PreparedProfile, resource: JsonObject | Resource, path: string): OperationOutcomeIssue[] {
  if (profile.compiled) {
    return profile.compiled(resource as unknown as JsonObject, path)
  }
  return validateWithMedplum(resource as unknown as Resource, profile.definition, path)
}

/** Keys of every invariant base R4 declares: base validation runs those, not the compiled profile. */
function baseConstraintKeys (base: BaseDefinitions): Set<string> {
  const keys = new Set<string>()
  for (const sd of [...base.types, ...base.resources]) {
    for (const e of sd.snapshot?.element ?? []) {
      for (const c of e.constraint ?? []) {
        if (c.key) {
          keys.add(c.key)
        }
      }
    }
  }
  return keys
}

/**
 * Picks the loaded profiles that apply to one resource: those in its meta.profile and, for the
 * root, the one the caller asks for. A claimed profile we do not have is a warning (R4
 * profiling.html §5.1.0.1: a claim is an assertion the receiver may not be able to check); an
 * asked-for profile we do not have, or one for another resource type, is an error.
 */
function selectProfiles (
  resource: JsonObject,
  type: string,
  path: string,
  requested: string | undefined,
  profiles: ReadonlyMap<string, PreparedProfile>
): { applied: PreparedProfile[], issues: OperationOutcomeIssue[] } {
  const applied: PreparedProfile[] = []
  const issues: OperationOutcomeIssue[] = []
  const use = (profile: PreparedProfile, where: string): void => {
    if (profile.type !== type) {
      issues.push(issue('error', 'invalid',
        `Profile ${profile.url} is for ${profile.type} resources, but this is a ${type} (${where})`, where))
    } else if (!applied.includes(profile)) {
      applied.push(profile)
    }
  }
  if (requested !== undefined) {
    const profile = profiles.get(requested)
    if (profile) {
      use(profile, path)
    } else {
      issues.push(issue('error', 'not-supported', `Unknown profile ${requested}: it is not loaded, so nothing was checked against it`))
    }
  }
  const meta = resource.meta
  const claimed = isJsonObject(meta) && Array.isArray(meta.profile) ? meta.profile : []
  claimed.forEach((url: unknown, index) => {
    if (typeof url !== 'string') {
      return // a structure error the engine reports
    }
    const where = `${path}.meta.profile[${index}]`
    const profile = profiles.get(url)
    if (profile) {
      use(profile, where)
    } else {
      issues.push(issue('warning', 'not-supported', `Profile ${url} is not known here, so the resource was not checked against it (${where})`, where))
    }
  })
  return { applied, issues }
}
