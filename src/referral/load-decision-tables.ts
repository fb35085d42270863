import type { Partnership } from '../routing/partnership.ts'
import { buildRoutingIndex } from '../routing/route-referral.ts'
import { loadTriageRules } from '../triage/load-triage-rules.ts'
import type { DecisionTables } from './decide-referral.ts'

/**
 * The decision tables for every partnership of the directory, read from the mappings folder:
 * what the command-line previews and the bench load, as the gateway does at start. Every
 * partnership's rules are loaded, because the home pilot's service comes from its own rule
 * file; with fewer, a preview could differ from what intake writes (docs/hazard-log.md H9).
 */
export async function loadDecisionTables (mappingsDir: string, partnerships: Iterable<Partnership>, options: { reviewGraceDays?: number } = {}): Promise<DecisionTables> {
  const all = [...partnerships]
  return { routing: buildRoutingIndex(all), triageRules: await loadTriageRules(mappingsDir, all.map((p) => p.id), options) }
}
