/**
 * Validation benchmark: our validator against @medplum/core's validateResource, in one run.
 *
 *   node bench/validation.ts [--json]
 *
 * Inputs (bench/validation-inputs.ts): a realistic WorkWell referral (ServiceRequest with a
 * contained Patient, fit note, employment status and consent) and a 20-entry transaction
 * Bundle. Each is validated by ours (base R4 and the profiles it claims), by medplum against
 * base R4, and, for the referral, by medplum against our WorkWell-Referral snapshot (the
 * configuration measured at ~3 ms a call with @medplum/core 4.5). Prints validations per second of
 * CPU time on one core and the ratios; `--json` prints one JSON object per line instead
 * ({name, value, unit, baseline, ratio}). Goals: ≥ 50,000 referrals/s, ≥ 10× medplum
 * base, ≥ 100× medplum with the profile, start-up < 200 ms. The invariant rows
 * (validation-invariants.ts) time the FHIRPath invariants alone, ours against medplum's engine.
 */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { indexStructureDefinitionBundle, OperationOutcomeError as MedplumOutcomeError, validateResource } from '@medplum/core'
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes'
import { loadBaseDefinitions } from '../src/validation/base-definitions.ts'
import { createValidator } from '../src/validation/create-validator.ts'
import { loadProfiles } from '../src/validation/load-profiles.ts'
import { WORKWELL_REFERRAL_PROFILE } from '../src/validation/profiles.ts'
import { benchBundle, benchReferral } from './validation-inputs.ts'
import { invariantWorkload } from './validation-invariants.ts'

/** One measured figure, as printed with `--json`. */
export interface BenchRow {
  readonly name: string
  readonly value: number
  readonly unit: string
  /** the figure this one is compared with, or null */
  readonly baseline: number | null
  /** value / baseline (for times: baseline / value, so > 1 always means "ours is better"), or null */
  readonly ratio: number | null
}

/** Options of {@link runValidationBench}. */
export interface ValidationBenchOptions {
  /** one JSON object per line instead of a table */
  readonly json: boolean
  /** where each output line goes */
  readonly print: (line: string) => void
}

const REPO = resolve(import.meta.dirname, '..')

/** How long each figure is measured, after the warm-up. */
const MEASURE_MS = 1500
const WARM_UP_CALLS = 300

/**
 * Runs the benchmark and prints its figures.
 * @param options - output format and sink
 */
export async function runValidationBench (options: ValidationBenchOptions): Promise<void> {
  const started = performance.now()
  const startedCpu = process.cpuUsage()
  const ours = await createValidator({ profilesDir: join(REPO, 'profiles') })
  const startupMs = performance.now() - started
  const startupCpu = process.cpuUsage(startedCpu)
  const profile = (await loadProfiles(join(REPO, 'profiles'))).find((p) => p.url === WORKWELL_REFERRAL_PROFILE)?.definition
  // medplum validates against its process-wide index of base R4, which it needs first.
  const base = await loadBaseDefinitions()
  indexStructureDefinitionBundle([...base.types, ...base.resources])

  const referral = benchReferral()
  const bundle = benchBundle()
  assertValid('our validator, referral', ours.validate(referral))
  assertValid('our validator, Bundle', ours.validate(bundle))
  assertValid('medplum, referral', medplum(referral))
  assertValid('medplum, Bundle', medplum(bundle))

  const rows: BenchRow[] = []
  const add = (name: string, value: number, unit: string, baseline: number | null): void => {
    rows.push({ name, value, unit, baseline, ratio: baseline === null || baseline === 0 ? null : value / baseline })
  }

  for (const [label, input] of [['referral', referral], ['bundle20', bundle]] as const) {
    const medplumBase = rate(() => medplum(input))
    add(`validation.${label}.medplum-base`, medplumBase, 'validations/s', null)
    let medplumProfile: number | null = null
    if (label === 'referral' && profile) {
      medplumProfile = rate(() => medplum(input, profile))
      add(`validation.${label}.medplum-profile`, medplumProfile, 'validations/s', null)
    }
    const oursRate = rate(() => ours.validate(input))
    add(`validation.${label}.ours-vs-medplum-base`, oursRate, 'validations/s', medplumBase)
    if (medplumProfile !== null) {
      add(`validation.${label}.ours-vs-medplum-profile`, oursRate, 'validations/s', medplumProfile)
    }
  }
  // The invariants alone: our FHIRPath subset against medplum's engine, on the same sites.
  const invariants = await invariantWorkload([referral, bundle])
  const oursMet = invariants.ours()
  const theirsMet = invariants.medplum()
  if (oursMet !== theirsMet) {
    throw new Error(`invariants: ours met ${oursMet} of ${invariants.sites} sites, medplum ${theirsMet}`)
  }
  const medplumSites = rate(invariants.medplum) * invariants.sites
  add('validation.invariants.medplum-fhirpath', medplumSites, 'invariant evaluations/s', null)
  add('validation.invariants.ours-vs-medplum-fhirpath', rate(invariants.ours) * invariants.sites, 'invariant evaluations/s', medplumSites)
  // Start-up cost: loading the profiles into a ready validator (goal < 200 ms).
  rows.push({ name: 'validation.startup', value: startupMs, unit: 'ms', baseline: null, ratio: null })
  // The same in CPU time: wall time also counts whatever else the machine is doing.
  rows.push({ name: 'validation.startup-cpu', value: (startupCpu.user + startupCpu.system) / 1000, unit: 'ms', baseline: null, ratio: null })

  for (const row of rows) {
    options.print(options.json ? JSON.stringify(row) : formatRow(row))
  }
}

/** Medplum's own validation, errors included (it throws them), as the gateway would run it. */
function medplum (resource: unknown, profile?: StructureDefinition): OperationOutcomeIssue[] {
  try {
    return validateResource(resource as Resource, profile ? { profile } : undefined)
  } catch (err) {
    if (err instanceof MedplumOutcomeError) {
      return err.outcome.issue ?? []
    }
    throw err
  }
}

/**
 * Calls per second of `run` on one core, after a warm-up, over {@link MEASURE_MS} of CPU time.
 * CPU time (process.cpuUsage) rather than wall time, so that other processes on the machine
 * do not count against either side of a ratio.
 */
function rate (run: () => unknown): number {
  for (let i = 0; i < WARM_UP_CALLS; i++) {
    run()
  }
  let calls = 0
  const start = process.cpuUsage()
  let elapsedMs = 0
  // Check the clock every few calls only: reading it costs about as much as a fast validation.
  while (elapsedMs < MEASURE_MS) {
    for (let i = 0; i < 16; i++) {
      run()
    }
    calls += 16
    const used = process.cpuUsage(start)
    elapsedMs = (used.user + used.system) / 1000
  }
  return (calls * 1000) / elapsedMs
}

function assertValid (what: string, issues: readonly OperationOutcomeIssue[]): void {
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')
  if (errors.length > 0) {
    throw new Error(`${what}: the benchmark input is not valid: ${JSON.stringify(errors)}`)
  }
}

function formatRow (row: BenchRow): string {
  const value = row.unit === 'ms' ? `${row.value.toFixed(0)} ms` : `${Math.round(row.value).toLocaleString('en-GB')} ${row.unit}`
  const ratio = row.ratio === null ? '' : `  (${row.ratio.toFixed(2)}× the baseline ${Math.round(row.baseline ?? 0).toLocaleString('en-GB')})`
  return `${row.name.padEnd(48)} ${value}${ratio}`
}

/** Runs directly with `node bench/validation.ts [--json]`. */
function isMain (): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename
}

if (isMain()) {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } })
  await runValidationBench({ json: values.json, print: (line) => { console.log(line) } })
}
