import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ElementDefinition, OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes'
import type { BaseDefinitions } from '../../src/validation/base-definitions.ts'
import { findBaseDefinition, HL7_STRUCTURE_DEFINITION } from '../../src/validation/base-definitions.ts'
import { isJsonObject, isStructureDefinition } from '../../src/validation/json.ts'
import { generateSnapshot } from '../../src/validation/snapshot.ts'
import type { ResourceValidator } from '../../src/validation/validator.ts'

/**
 * Grades a validator against the HL7 validator test cases copied in
 * the HL7 fhir-test-cases folder beside the repository (its README describes manifest.json). Only the valid/invalid
 * verdict is graded, as that README's "Grading notes" say: wording and counts differ between
 * validators.
 */

/** One case of manifest.json (the fields the grader reads). */
export interface Hl7Case {
  readonly name: string
  readonly file: string
  readonly resourceType: string
  readonly supporting?: readonly string[]
  readonly profile?: string
  readonly profileUrl?: string
  readonly expectedValid: boolean
  readonly tags?: readonly string[]
  /** the Java validator's settings for this case, e.g. { validateContains: 'IGNORE' } */
  readonly options?: Readonly<Record<string, unknown>>
}

/** The verdict on one case. */
export interface Hl7Result {
  readonly name: string
  readonly expectedValid: boolean
  /** undefined when no verdict could be reached (the profile could not be loaded) */
  readonly actualValid: boolean | undefined
  readonly right: boolean
  /** why there is no verdict, or the first errors found, for the report */
  readonly note: string
}

/** The whole grading. */
export interface Hl7Grade {
  readonly results: readonly Hl7Result[]
  /** share of cases whose verdict matches the Java validator's */
  readonly score: number
  /** valid resources our validator rejected (the worst kind of miss for a gateway) */
  readonly falseRejections: readonly Hl7Result[]
  /** cases whose profile the validator could not load */
  readonly unloadable: readonly Hl7Result[]
}

/** Builds a validator over a folder of StructureDefinitions with snapshots. */
export type ValidatorFactory = (profilesDir: string) => Promise<ResourceValidator>

/**
 * Reads the manifest.
 * @param casesDir - the HL7 fhir-test-cases folder (shared-data.ts)
 * @returns its cases, in manifest order
 */
export function readManifest (casesDir: string): Hl7Case[] {
  const parsed: unknown = JSON.parse(readFileSync(join(casesDir, 'manifest.json'), 'utf8'))
  if (!isJsonObject(parsed) || !Array.isArray(parsed.cases)) {
    throw new Error(`${casesDir}/manifest.json has no cases`)
  }
  return parsed.cases as Hl7Case[]
}

/**
 * Runs every case: the instance is parsed (malformed JSON is invalid, as at the gateway's door),
 * the supporting profiles are given snapshots and loaded, and the instance is validated against
 * base R4, the profiles it claims, and for a profile step the step's profile (README "Grading
 * notes"). Validators are built once per distinct set of profiles.
 * @param casesDir - the HL7 fhir-test-cases folder (shared-data.ts)
 * @param base - base R4 definitions, to generate snapshots onto
 * @param create - the validator under test
 * @returns the grading
 */
export async function gradeHl7Cases (casesDir: string, base: BaseDefinitions, create: ValidatorFactory): Promise<Hl7Grade> {
  const filesDir = join(casesDir, 'files')
  const work = await mkdtemp(join(tmpdir(), 'workwell-hl7-'))
  const validators = new Map<string, Promise<ResourceValidator | Error>>()
  const results: Hl7Result[] = []
  try {
    for (const c of readManifest(casesDir)) {
      const profileFiles = [...new Set([...(c.supporting ?? []), ...(c.profile === undefined ? [] : [c.profile])])]
        .filter((f) => readProfile(join(filesDir, f)) !== undefined)
        .sort()
      // ImplementationGuides among the supporting files bring global profiles (ImplementationGuide.global)
      const guideFiles = (c.supporting ?? []).filter((f) => isImplementationGuide(join(filesDir, f))).sort()
      const key = [...profileFiles, ...guideFiles].join('|')
      let pending = validators.get(key)
      if (!pending) {
        pending = buildValidator(profileFiles.map((f) => join(filesDir, f)), guideFiles.map((f) => join(filesDir, f)), base, join(work, String(validators.size)), create)
        validators.set(key, pending)
      }
      results.push(gradeOne(c, join(filesDir, c.file), await pending))
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  const right = results.filter((r) => r.right).length
  return {
    results,
    score: results.length === 0 ? 0 : right / results.length,
    falseRejections: results.filter((r) => r.expectedValid && r.actualValid === false),
    unloadable: results.filter((r) => r.actualValid === undefined)
  }
}

function gradeOne (c: Hl7Case, file: string, validator: ResourceValidator | Error): Hl7Result {
  const verdict = (actualValid: boolean | undefined, note: string): Hl7Result =>
    ({ name: c.name, expectedValid: c.expectedValid, actualValid, right: actualValid === c.expectedValid, note })
  let instance: unknown
  try {
    instance = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    return verdict(false, `malformed JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (validator instanceof Error) {
    if (c.profile !== undefined) {
      return verdict(undefined, `profile not loadable: ${validator.message}`)
    }
    return verdict(undefined, `supporting profile not loadable: ${validator.message}`)
  }
  // validateContains=IGNORE has an equivalent here; the other Java settings do not change our checks
  const issues = validator.validate(instance, {
    ...(c.profileUrl === undefined ? {} : { profile: c.profileUrl }),
    ...(c.options?.validateContains === 'IGNORE' ? { contained: 'ignore' as const } : {}),
    // the Java validator's defaults: extensions it cannot find are errors; examples:false
    // makes example URLs errors too
    extensions: 'known-only',
    ...(c.options?.examples === false ? { exampleUrls: 'reject' as const } : {})
  })
  const errors = issues.filter(isError)
  return verdict(errors.length === 0, errors.slice(0, 3).map(describeIssue).join('; '))
}

function isError (i: OperationOutcomeIssue): boolean {
  return i.severity === 'error' || i.severity === 'fatal'
}

function describeIssue (i: OperationOutcomeIssue): string {
  return `${i.expression?.[0] ?? '-'}: ${i.diagnostics ?? i.code}`
}

/** Whether a file holds an ImplementationGuide. */
function isImplementationGuide (file: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'))
    return isJsonObject(parsed) && parsed.resourceType === 'ImplementationGuide'
  } catch {
    return false
  }
}

/** The resource profile (constraint on a resource type) in a file, or undefined. */
function readProfile (file: string): StructureDefinition | undefined {
  if (!existsSync(file)) {
    return undefined
  }
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'))
    return isStructureDefinition(parsed) && parsed.kind === 'resource' && parsed.derivation === 'constraint' ? parsed : undefined
  } catch {
    return undefined
  }
}

/**
 * Gives each profile a snapshot (our build-time generator, onto base R4 or another of the
 * set), writes them to `dir` and builds the validator; any failure is the returned Error.
 */
async function buildValidator (
  files: readonly string[],
  guides: readonly string[],
  base: BaseDefinitions,
  dir: string,
  create: ValidatorFactory
): Promise<ResourceValidator | Error> {
  try {
    const profiles = files.map((f) => withElementIds(readProfile(f) as StructureDefinition))
    const lookupType = (code: string): StructureDefinition | undefined => findBaseDefinition(base, code)
    const done = new Map<string, StructureDefinition>()
    const snapshotOf = (sd: StructureDefinition): StructureDefinition => {
      const url = sd.url ?? ''
      const cached = done.get(url)
      if (cached) {
        return cached
      }
      const baseUrl = sd.baseDefinition ?? ''
      const parent = baseUrl.startsWith(HL7_STRUCTURE_DEFINITION)
        ? findBaseDefinition(base, baseUrl.slice(HL7_STRUCTURE_DEFINITION.length))
        : profiles.find((p) => p.url === baseUrl)
      if (!parent) {
        throw new Error(`${url}: base ${baseUrl} not found`)
      }
      // Third-party test profiles may name elements their base lacks: left out, as the HL7
      // Java snapshot generator does (it reports them against the profile, not the instance).
      const result = generateSnapshot(sd, parent.snapshot ? parent : snapshotOf(parent), lookupType, { unknownElements: 'skip' })
      done.set(url, result)
      return result
    }
    await mkdir(dir, { recursive: true })
    for (const [i, sd] of profiles.entries()) {
      await writeFile(join(dir, `profile-${i}.json`), JSON.stringify(snapshotOf(sd)))
    }
    for (const [i, file] of guides.entries()) {
      await writeFile(join(dir, `guide-${i}.json`), readFileSync(file, 'utf8'))
    }
    return await create(dir)
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err))
  }
}

/**
 * Older hand-written test profiles lack ElementDefinition.id, which snapshot generation keys
 * on; fill it in as `path[:sliceName]` (as snapshot generators do).
 */
function withElementIds (sd: StructureDefinition): StructureDefinition {
  const elements = sd.differential?.element ?? []
  if (elements.every((e) => e.id !== undefined)) {
    return sd
  }
  const filled: ElementDefinition[] = elements.map((e) =>
    e.id !== undefined ? e : { ...e, id: e.sliceName === undefined ? e.path : `${e.path}:${e.sliceName}` })
  // A snapshot shipped with the file is stale for our purposes: it is regenerated.
  return { ...sd, differential: { ...sd.differential, element: filled } }
}
