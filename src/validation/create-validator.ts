import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import { R4_SCHEMA_FILE } from './build-r4-schema.ts'
import type { CompiledProfileCheck, CompiledProfilePasses, ProfileRef } from './compiled-profile.ts'
import { checkOfPasses, compileProfile, compileProfilePasses } from './compiled-profile.ts'
import { baseInvariantKeys } from './invariant-sites.ts'
import { createInvariantCompiler } from './invariants.ts'
import { finaliseIssues } from './issues.ts'
import type { PolicySchema } from './policy-checks.ts'
import { checkPolicies } from './policy-checks.ts'
import type { JsonObject } from './json.ts'
import { describeJson, isJsonObject } from './json.ts'
import type { LoadedProfile } from './load-profiles.ts'
import { loadProfileFolder } from './load-profiles.ts'
import { valueSetExpander } from './r4-schema.ts'
import type { ReferenceRule } from './reference-targets.ts'
import { checkReferenceTargets, referenceRulesOf } from './reference-targets.ts'
import type { BaseSchema, LocalExtension, StructureResult, StructureWalks } from './structure.ts'
import { createStructureWalks, loadBaseSchema } from './structure.ts'
import type { ResourceValidator, ValidateOptions } from './validator.ts'

/** A loaded profile with the rules computed once from its snapshot. */
interface PreparedProfile extends LoadedProfile {
  readonly referenceRules: readonly ReferenceRule[]
  /** the profile compiled to checks */
  readonly compiled: CompiledProfileCheck
  /** its two passes, apart */
  readonly passes: CompiledProfilePasses
}

/** Options of {@link createValidator}. */
export interface CreateValidatorOptions {
  /** folder of *.json StructureDefinitions (profiles/ in this repository) */
  readonly profilesDir: string
  /** the compiled base R4 (default: compiled/r4-base.json next to this file) */
  readonly baseSchemaFile?: string
  /** the clock that durations in profiles (minValueDuration…) are relative to; default the system clock */
  readonly now?: () => Date
}

/**
 * Builds the validator: base R4 compiled ahead of time (compiled/r4-base.json, see
 * structure.ts) and the profiles in `profilesDir` (StructureDefinitions with snapshots), each
 * compiled once here (compiled-profile.ts). Nothing is parsed or interpreted per call but the
 * resource itself. Rejects when a profile cannot be read or used, so a bad profiles folder
 * stops start-up rather than weakening validation.
 * @param options - where the profiles are
 * @param options.profilesDir - folder of *.json StructureDefinitions (profiles/ in this repository)
 * @param options.baseSchemaFile - the compiled base R4, when not the committed one
 * @param options.now - the clock for durations in profiles
 * @returns the validator
 */
export async function createValidator (options: CreateValidatorOptions): Promise<ResourceValidator> {
  return (await createValidatorParts(options)).validator
}

/** The validator and its walks apart, for the tests that check the walks agree. */
export interface ValidatorParts {
  readonly validator: ResourceValidator
  /** base R4: the fast and the reporting walk */
  readonly structure: StructureWalks
  /** each loaded profile's probe and reporting pass, by canonical URL */
  readonly profiles: ReadonlyMap<string, CompiledProfilePasses>
}

/**
 * {@link createValidator}, with the walks it is made of.
 * @param options - as for {@link createValidator}
 * @returns the validator and its walks
 */
export async function createValidatorParts (options: CreateValidatorOptions): Promise<ValidatorParts> {
  const schema = loadBaseSchema(options.baseSchemaFile ?? R4_SCHEMA_FILE)
  const invariants = createInvariantCompiler(schema.isResourceType)
  const baseKeys = baseInvariantKeys([...schema.types.values()].map((t) => t.def))
  const now = options.now ?? (() => new Date())
  const folder = await loadProfileFolder(options.profilesDir)
  const loaded = folder.profiles
  const valueSet = valueSetExpander(folder.terminology)
  const localExtensions = new Map<string, LocalExtension>()
  for (const sd of folder.extensions) {
    const url = sd.url ?? ''
    const value = sd.snapshot?.element.find((e) => e.id === 'Extension.value[x]')
    let check: CompiledProfileCheck
    try {
      check = compileProfile(sd, baseKeys, { now, invariants, valueSet })
    } catch (err) {
      throw new Error(`Extension ${url} cannot be used: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    localExtensions.set(url, {
      info: {
        contexts: (sd.context ?? []).filter((c) => c.type === 'element').map((c) => c.expression ?? ''),
        valueTypes: value?.max === '0' ? [] : (value?.type ?? []).map((t) => t.code ?? '')
      },
      check
    })
  }
  const walks = createStructureWalks(schema, invariants, localExtensions)
  // Most resources are valid: the fast walk says so first; only when it finds something does
  // the reporting walk run, from the top.
  const structure = (resource: JsonObject, path: string): StructureResult => walks.fast(resource, path) ?? walks.report(resource, path)
  const typeOf = (url: string): string | undefined => loaded.find((p) => p.url === url)?.type
  const profiles = new Map<string, PreparedProfile>()
  // Profiles may refer to each other (type profiles, `profile` discriminators): resolved per call.
  const lookup = (url: string): ProfileRef | undefined => {
    const found = profiles.get(url)
    return found && { type: found.type, check: found.compiled }
  }
  for (const profile of loaded) {
    if (!schema.isResourceType(profile.type)) {
      throw new Error(`Profile ${profile.url} constrains ${profile.type}, which is not an R4 resource`)
    }
    let passes: CompiledProfilePasses
    try {
      passes = compileProfilePasses(profile.definition, baseKeys, { now, lookup, invariants, valueSet })
    } catch (err) {
      throw new Error(`Profile ${profile.url} cannot be used: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    profiles.set(profile.url, { ...profile, referenceRules: referenceRulesOf(profile.definition, typeOf), compiled: checkOfPasses(passes), passes })
  }
  // ImplementationGuide.global: profiles every resource of a type must meet, claimed or not.
  const globals = new Map<string, PreparedProfile[]>()
  for (const { type, profile: url } of folder.globals) {
    const profile = profiles.get(url)
    if (!profile || profile.type !== type) {
      throw new Error(`The global profile ${url} for ${type} is not loaded, or is not for ${type}`)
    }
    globals.set(type, [...(globals.get(type) ?? []), profile])
  }
  const urls = Object.freeze([...profiles.keys()])
  const engine: Engine = { schema, structure, profiles, globals }
  // HL7's own namespace counts as known: its definitions (core, the extensions pack, test
  // definitions) are HL7's to publish, and the Java validator allows that domain by default.
  const policySchema: PolicySchema = {
    types: schema.types,
    knowsExtension: (url) => schema.extensions.has(url) || localExtensions.has(url) || /^https?:\/\/hl7\.org\/fhir\//.test(url)
  }
  const validator: ResourceValidator = {
    profiles: urls,
    validate (resource: unknown, validateOptions?: ValidateOptions): OperationOutcomeIssue[] {
      try {
        let found = validateValue(resource, validateOptions?.profile, engine)
        const unknownExtensions = validateOptions?.extensions === 'known-only'
        const exampleUrls = validateOptions?.exampleUrls === 'reject'
        if ((unknownExtensions || exampleUrls) && isJsonObject(resource) && typeof resource.resourceType === 'string') {
          found = finaliseIssues([...found, ...checkPolicies(policySchema, resource, resource.resourceType, { unknownExtensions, exampleUrls })])
        }
        return validateOptions?.contained === 'ignore' ? found.filter((i) => !(i.expression ?? []).some((e) => IN_CONTAINED.test(e))) : found
      } catch (err) {
        // Every known failure is an issue already; this is the promise never to throw.
        const message = err instanceof Error ? err.message : String(err)
        return [issue('error', 'exception', `The validator failed: ${message}`)]
      }
    }
  }
  const passesByUrl = new Map<string, CompiledProfilePasses>()
  for (const [url, p] of profiles) {
    passesByUrl.set(url, p.passes)
  }
  return { validator, structure: walks, profiles: passesByUrl }
}

/** An expression at or below a contained resource, at any depth (ServiceRequest.contained[0].id, Bundle.entry[1].resource.contained[0]). */
const IN_CONTAINED = /(^|\.)contained\[\d+\]/

interface Engine {
  readonly schema: BaseSchema
  readonly structure: (resource: JsonObject, path: string) => StructureResult
  readonly profiles: ReadonlyMap<string, PreparedProfile>
  /** the global profiles by resource type (none for the WorkWell profiles) */
  readonly globals: ReadonlyMap<string, readonly PreparedProfile[]>
}

function validateValue (value: unknown, requested: string | undefined, engine: Engine): OperationOutcomeIssue[] {
  if (!isJsonObject(value)) {
    return [issue('error', 'structure', `Expected a FHIR resource (a JSON object), got ${describeJson(value)}`)]
  }
  const type = value.resourceType
  if (typeof type !== 'string') {
    return [issue('error', 'structure', 'The JSON object has no resourceType, so it is not a FHIR resource')]
  }
  if (!engine.schema.isResourceType(type)) {
    return [issue('error', 'invalid', `Unknown resource type '${type}': it is not a FHIR R4 resource`)]
  }
  const { issues: found, nested } = engine.structure(value, type)
  const { profiles } = engine
  const selected = withGlobals(selectProfiles(value, type, type, requested, profiles), engine.globals.get(type))
  append(found, selected.issues)
  for (const profile of selected.applied) {
    append(found, profile.compiled(value, type))
    append(found, checkReferenceTargets(value, profile.referenceRules, type, value))
  }
  // Nested resources (contained, Bundle entries) had base R4 in the walk above, which visits
  // them as their own types; the profiles they claim are applied to them here.
  if (profiles.size > 0) {
    for (const inner of nested) {
      const innerSelected = withGlobals(selectProfiles(inner.resource, inner.type, inner.path, undefined, profiles), engine.globals.get(inner.type))
      append(found, innerSelected.issues)
      for (const profile of innerSelected.applied) {
        append(found, profile.compiled(inner.resource, inner.path, inner.container))
        append(found, checkReferenceTargets(inner.resource, profile.referenceRules, inner.path, inner.container))
      }
    }
  }
  return finaliseIssues(found)
}

/** `to.push(...from)` without spreading (most `from` are empty). */
function append (to: OperationOutcomeIssue[], from: readonly OperationOutcomeIssue[]): void {
  for (let i = 0; i < from.length; i++) {
    to.push(from[i] as OperationOutcomeIssue)
  }
}

const NO_ISSUES: readonly OperationOutcomeIssue[] = Object.freeze([])
const NOTHING_SELECTED = Object.freeze({ applied: Object.freeze([]), issues: NO_ISSUES })

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
): { applied: readonly PreparedProfile[], issues: readonly OperationOutcomeIssue[] } {
  const meta = resource.meta
  if (requested === undefined && !(isJsonObject(meta) && Array.isArray(meta.profile))) {
    return NOTHING_SELECTED // no profile asked for or claimed: the common case for contained resources
  }
  const applied: PreparedProfile[] = []
  const issues: OperationOutcomeIssue[] = []
  if (requested !== undefined) {
    const profile = profiles.get(requested)
    if (profile) {
      use(profile, path, type, applied, issues)
    } else {
      issues.push(issue('error', 'not-supported', `Unknown profile ${requested}: it is not loaded, so nothing was checked against it`))
    }
  }
  const claimed = isJsonObject(meta) && Array.isArray(meta.profile) ? meta.profile : []
  if (requested === undefined && claimed.length === 1) {
    // One claimed profile, the commonest case: answered with the fewest allocations.
    const url: unknown = claimed[0]
    const profile = typeof url === 'string' ? profiles.get(url) : undefined
    if (profile && profile.type === type) {
      return { applied: [profile], issues: NO_ISSUES }
    }
  }
  for (let index = 0; index < claimed.length; index++) {
    const url: unknown = claimed[index]
    if (typeof url !== 'string') {
      continue // a structure error the engine reports
    }
    const profile = profiles.get(url)
    if (profile && profile.type === type && !applied.includes(profile)) {
      applied.push(profile) // the common case, without building the claim's path
    } else if (profile) {
      use(profile, `${path}.meta.profile[${index}]`, type, applied, issues)
    } else {
      const where = `${path}.meta.profile[${index}]`
      issues.push(issue('warning', 'not-supported', `Profile ${url} is not known here, so the resource was not checked against it (${where})`, where))
    }
  }
  return { applied, issues }
}

/** The profiles selected, with the global ones for the type not already among them. */
function withGlobals (
  selected: { applied: readonly PreparedProfile[], issues: readonly OperationOutcomeIssue[] },
  globals: readonly PreparedProfile[] | undefined
): { applied: readonly PreparedProfile[], issues: readonly OperationOutcomeIssue[] } {
  if (globals === undefined) {
    return selected
  }
  return { applied: [...selected.applied, ...globals.filter((g) => !selected.applied.includes(g))], issues: selected.issues }
}

/** Applies a profile to a resource of `type`, or reports that it is for another type. */
function use (profile: PreparedProfile, where: string, type: string, applied: PreparedProfile[], issues: OperationOutcomeIssue[]): void {
  if (profile.type !== type) {
    issues.push(issue('error', 'invalid',
      `Profile ${profile.url} is for ${profile.type} resources, but this is a ${type} (${where})`, where))
  } else if (!applied.includes(profile)) {
    applied.push(profile)
  }
}
