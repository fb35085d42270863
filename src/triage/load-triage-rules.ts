import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { resolveRules } from './resolve-rules.ts'
import type { ResolvedRules, RuleFile } from './rules.ts'
import { ruleFileSchema } from './rules-schema.ts'
import { compileStartUpCheck } from '../start-up-schema.ts'

/** The national baseline is a file, not a folder, so load-partnerships.ts (which reads sub-folders) never sees it. */
export const BASELINE_FILE = 'national-baseline.json'
export const RULES_FILE = 'triage-rules.json'
/** Every released version of every rule file and partnership.json, with the hash of its content. */
export const VERSIONS_FILE = 'rule-versions.json'

type VersionHistory = Record<string, Record<string, string> | string>

/** The hash a version is recorded with: the parsed JSON re-serialised, so layout does not count. */
export const contentHash = (data: unknown): string => createHash('sha256').update(JSON.stringify(data)).digest('hex')

/**
 * The part of partnership.json that decides eligibility, which its version names: practices,
 * sub-ICB locations and postcode districts (and the version and review date themselves). The
 * delivery endpoint and other deployment settings may differ between installs without a new
 * version.
 */
export function areaContent (data: unknown): unknown {
  const p = data as Record<string, unknown>
  return { version: p.version, reviewBy: p.reviewBy, practices: p.practices, subIcbCodes: p.subIcbCodes, postcodeDistricts: p.postcodeDistricts, straddlingDistricts: p.straddlingDistricts }
}

async function readHistory (mappingsDir: string): Promise<VersionHistory | undefined> {
  const file = path.join(mappingsDir, VERSIONS_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`)
  }
  try {
    return JSON.parse(text) as VersionHistory
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`)
  }
}

/**
 * A file's version must be recorded with exactly this content: a changed file that kept its
 * version would make every Task after it name a version that no longer means what decided it
 * (docs/hazard-log.md H5). Checked at start, so it holds in production, not only in tests.
 */
function checkVersion (history: VersionHistory, key: string, file: string, data: unknown, content: unknown = data): void {
  const version = (data as { version?: unknown }).version
  const entry = history[key]
  const recorded = typeof entry === 'object' && typeof version === 'string' ? entry[version] : undefined
  if (recorded === undefined) throw new Error(`${file}: version ${String(version)} is not recorded in ${VERSIONS_FILE}`)
  if (recorded !== contentHash(content)) throw new Error(`${file}: content differs from the recorded version ${String(version)}: give it a new version and record it in ${VERSIONS_FILE}`)
}

async function readJsonFile (file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`)
  }
}

async function readRuleFile (file: string, check: (data: unknown) => boolean, errors: () => string): Promise<RuleFile> {
  const data = await readJsonFile(file)
  if (!check(data)) throw new Error(`${file}: ${errors()}`)
  return data as RuleFile
}

/** Days a rule set may run past its review date before triage is held, when not configured. */
export const DEFAULT_REVIEW_GRACE_DAYS = 30

/**
 * Reads mappings/national-baseline.json and mappings/<id>/triage-rules.json for every
 * partnership, checks each against the schema and resolves it onto the baseline. Loaded once at
 * start; a missing or bad file stops the start with a message naming the file, so no
 * partnership ever triages on rules that were not checked (docs/hazard-log.md H5). When
 * mappings/rule-versions.json is there (the repository ships it), every rule file and
 * partnership.json must carry a recorded version with exactly the recorded content.
 */
export async function loadTriageRules (mappingsDir: string, partnershipIds: Iterable<string>, options: { reviewGraceDays?: number } = {}): Promise<Map<string, ResolvedRules>> {
  const { validate: check, errorsText: errors } = compileStartUpCheck<RuleFile>(ruleFileSchema)
  const history = await readHistory(mappingsDir)
  const baselineFile = path.join(mappingsDir, BASELINE_FILE)
  const baseline = await readRuleFile(baselineFile, check, errors)
  if (baseline.id !== 'national-baseline' || baseline.basis !== 'national') {
    throw new Error(`${baselineFile}: id must be "national-baseline" and basis "national"`)
  }
  if (history !== undefined) checkVersion(history, 'national-baseline', baselineFile, baseline)
  const out = new Map<string, ResolvedRules>()
  for (const id of [...partnershipIds].sort()) {
    const file = path.join(mappingsDir, id, RULES_FILE)
    const own = await readRuleFile(file, check, errors)
    if (own.id !== id) throw new Error(`${file}: id "${own.id}" differs from its folder name "${id}"`)
    if (own.basis === 'national') throw new Error(`${file}: basis "national" is for the baseline only`)
    if (history !== undefined) {
      checkVersion(history, id, file, own)
      const area = path.join(mappingsDir, id, 'partnership.json')
      const areaData = await readJsonFile(area)
      checkVersion(history, `${id}/partnership.json`, area, areaData, areaContent(areaData))
    }
    try {
      out.set(id, { ...resolveRules(baseline, own), reviewGraceDays: options.reviewGraceDays ?? DEFAULT_REVIEW_GRACE_DAYS })
    } catch (err) {
      throw new Error(`${file} (with ${baselineFile}): ${(err as Error).message}`)
    }
  }
  return out
}
