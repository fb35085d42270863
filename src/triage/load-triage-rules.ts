import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { resolveRules } from './resolve-rules.ts'
import type { ResolvedRules, RuleFile } from './rules.ts'
import { ruleFileSchema } from './rules-schema.ts'
import { compileStartUpCheck } from '../start-up-schema.ts'

/** The national baseline is a file, not a folder, so load-partnerships.ts (which reads sub-folders) never sees it. */
export const BASELINE_FILE = 'national-baseline.json'
export const RULES_FILE = 'triage-rules.json'

async function readRuleFile (file: string, check: (data: unknown) => boolean, errors: () => string): Promise<RuleFile> {
  let data: unknown
  try {
    data = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`)
  }
  if (!check(data)) throw new Error(`${file}: ${errors()}`)
  return data as RuleFile
}

/**
 * Reads mappings/national-baseline.json and mappings/<id>/triage-rules.json for every
 * partnership, checks each against the schema and resolves it onto the baseline. Loaded once at
 * start; a missing or bad file stops the start with a message naming the file, so no
 * partnership ever triages on rules that were not checked (docs/hazard-log.md H5).
 */
export async function loadTriageRules (mappingsDir: string, partnershipIds: Iterable<string>): Promise<Map<string, ResolvedRules>> {
  const { validate: check, errorsText: errors } = compileStartUpCheck<RuleFile>(ruleFileSchema)
  const baselineFile = path.join(mappingsDir, BASELINE_FILE)
  const baseline = await readRuleFile(baselineFile, check, errors)
  if (baseline.id !== 'national-baseline' || baseline.basis !== 'national') {
    throw new Error(`${baselineFile}: id must be "national-baseline" and basis "national"`)
  }
  const out = new Map<string, ResolvedRules>()
  for (const id of [...partnershipIds].sort()) {
    const file = path.join(mappingsDir, id, RULES_FILE)
    const own = await readRuleFile(file, check, errors)
    if (own.id !== id) throw new Error(`${file}: id "${own.id}" differs from its folder name "${id}"`)
    if (own.basis === 'national') throw new Error(`${file}: basis "national" is for the baseline only`)
    try {
      out.set(id, resolveRules(baseline, own))
    } catch (err) {
      throw new Error(`${file} (with ${baselineFile}): ${(err as Error).message}`)
    }
  }
  return out
}
