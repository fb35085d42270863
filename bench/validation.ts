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
 * ({name, value, unit, baseline, ratio, rounds}).
 *
 * The sides of a ratio are measured in alternating short rounds, and the ratio printed is the
 * median of the per-round ratios: a 2-vCPU VM's speed moves by half within seconds, so one
 * side measured after the other could differ by that alone (the intake bench does the same). Goals: ≥ 50,000 referrals/s, ≥ 10× medplum
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
  /**
   * ours against the baseline, > 1 meaning "ours is better": the median of the per-round
   * ratios where the sides were measured in rounds, else value / baseline; null without one
   */
  readonly ratio: number | null
  /** the per-round ratios the median was taken from, in round order */
  readonly rounds?: readonly number[]
}

/** Options of {@link runValidationBench}. */
export interface ValidationBenchOptions {
  /** one JSON object per line instead of a table */
  readonly json: boolean
  /** where each output line goes */
  readonly print: (line: string) => void
}

const REPO = resolve(import.meta.dirname, '..')

/**
 * Rounds per comparison, and CPU time per side in each round, after a warm-up of each side as
 * long as a round: a warm-up counted in calls (300, once) ended before V8 had optimised our
 * validator, whose first second then ran at a third of its speed inside the measurement.
 */
const ROUNDS = 5
const ROUND_MS = 300

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
  // a baseline's own rate, printed for reference
  const add = (name: string, value: number, unit: string, baseline: null): void => {
    rows.push({ name, value, unit, baseline, ratio: null })
  }
  const compare = (name: string, unit: string, measured: Measured, scale = 1): void => {
    rows.push({ name, value: median(measured.ours) * scale, unit, baseline: median(measured.baseline) * scale, ratio: median(measured.ratios), rounds: measured.ratios })
  }
  for (const [label, input] of [['referral', referral], ['bundle20', bundle]] as const) {
    const sides: Array<() => unknown> = [() => ours.validate(input), () => medplum(input)]
    if (label === 'referral' && profile) sides.push(() => medplum(input, profile))
    const [oursRates = [], baseRates = [], profileRates] = inRounds(sides)
    add(`validation.${label}.medplum-base`, median(baseRates), 'validations/s', null)
    if (profileRates !== undefined) add(`validation.${label}.medplum-profile`, median(profileRates), 'validations/s', null)
    compare(`validation.${label}.ours-vs-medplum-base`, 'validations/s', paired(oursRates, baseRates))
    if (profileRates !== undefined) compare(`validation.${label}.ours-vs-medplum-profile`, 'validations/s', paired(oursRates, profileRates))
  }
  // The invariants alone: our FHIRPath subset against medplum's engine, on the same sites.
  const invariants = await invariantWorkload([referral, bundle])
  const oursMet = invariants.ours()
  const theirsMet = invariants.medplum()
  if (oursMet !== theirsMet) {
    throw new Error(`invariants: ours met ${oursMet} of ${invariants.sites} sites, medplum ${theirsMet}`)
  }
  const [oursSites = [], theirSites = []] = inRounds([invariants.ours, invariants.medplum])
  add('validation.invariants.medplum-fhirpath', median(theirSites) * invariants.sites, 'invariant evaluations/s', null)
  compare('validation.invariants.ours-vs-medplum-fhirpath', 'invariant evaluations/s', paired(oursSites, theirSites), invariants.sites)
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

/** Per-round rates of two sides, and the ratio of each round. */
interface Measured {
  readonly ours: readonly number[]
  readonly baseline: readonly number[]
  readonly ratios: readonly number[]
}

function paired (ours: readonly number[], baseline: readonly number[]): Measured {
  return { ours, baseline, ratios: ours.map((o, i) => o / (baseline[i] ?? Number.NaN)) }
}

function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] ?? Number.NaN : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2
}

/**
 * Each side's rate in each of {@link ROUNDS} rounds, the order reversed every other round so
 * that no side is always measured first. Returns one array of per-round rates per side.
 */
function inRounds (sides: ReadonlyArray<() => unknown>): number[][] {
  for (const run of sides) rate(run, ROUND_MS)
  const rates = sides.map((): number[] => [])
  for (let round = 0; round < ROUNDS; round++) {
    const order = sides.map((_, i) => i)
    if (round % 2 === 1) order.reverse()
    for (const i of order) {
      const run = sides[i]
      if (run !== undefined) rates[i]?.push(rate(run, ROUND_MS))
    }
  }
  return rates
}

/**
 * Calls per second of `run` on one core over `measureMs` of CPU time. CPU time
 * (process.cpuUsage) rather than wall time, so that other processes on the machine do not
 * count against either side of a ratio.
 */
function rate (run: () => unknown, measureMs: number): number {
  let calls = 0
  const start = process.cpuUsage()
  let elapsedMs = 0
  // Check the clock every few calls only: reading it costs about as much as a fast validation.
  while (elapsedMs < measureMs) {
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
  const spread = row.rounds === undefined || row.rounds.length === 0 ? '' : `, median of ${row.rounds.length} rounds ${Math.min(...row.rounds).toFixed(1)}–${Math.max(...row.rounds).toFixed(1)}×`
  const ratio = row.ratio === null ? '' : `  (${row.ratio.toFixed(2)}× the baseline ${Math.round(row.baseline ?? 0).toLocaleString('en-GB')}${spread})`
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
