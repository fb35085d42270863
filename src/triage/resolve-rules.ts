import type { ClinicalReviewRule, OutputRule, ResolvedRules, RuleCondition, RuleFile } from './rules.ts'

/** Id of the national baseline rule set; its version leads every recorded rules version. */
export const BASELINE_ID = 'workwell-baseline'

function required<T> (value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the national baseline must define ${what}`)
  return value
}

/** Baseline rules with the partnership's rules of the same id replaced, its removals dropped and its own added. */
function mergeRules (base: OutputRule[], own: OutputRule[] | undefined, removed: Set<string>): OutputRule[] {
  const replaced = new Map((own ?? []).map((r) => [r.id, r]))
  const out = base.filter((r) => !removed.has(r.id)).map((r) => replaced.get(r.id) ?? r)
  for (const r of own ?? []) if (!base.some((b) => b.id === r.id)) out.push(r)
  return out
}

/**
 * The clinical review route: a partnership may add risk indicators and ways to rule risk out
 * to the baseline's, never take one away, so no partnership can stop a coded risk reaching a
 * clinician (docs/hazard-log.md H4).
 */
function reviewRule (base: ClinicalReviewRule, own: ClinicalReviewRule | undefined): ClinicalReviewRule {
  if (own === undefined) return base
  return {
    id: own.id,
    indicators: [...new Set([...base.indicators, ...own.indicators])],
    ruledOutBy: [...new Set([...base.ruledOutBy, ...own.ruledOutBy])]
  }
}

/**
 * The baseline merged with one partnership's file. Partnership values replace the baseline's
 * key by key; rules are matched by id; the directory and catalogue merge per code. Pure.
 * Throws with the problem when the result is inconsistent (see checkResolved).
 */
export function resolveRules (baseline: RuleFile, own: RuleFile): ResolvedRules {
  const b = baseline.eligibility ?? {}
  const p = own.eligibility ?? {}
  const removed = new Set(own.removeRules ?? [])
  const resolved: ResolvedRules = {
    partnershipId: own.id,
    version: `${BASELINE_ID}/${baseline.version}+${own.id}/${own.version}`,
    basis: own.basis === 'published' ? 'published' : 'baseline',
    reviewBy: own.reviewBy < baseline.reviewBy ? own.reviewBy : baseline.reviewBy,
    minimumAge: p.minimumAge ?? required(b.minimumAge, 'eligibility.minimumAge'),
    footprint: p.footprint ?? required(b.footprint, 'eligibility.footprint'),
    employment: p.employment ?? required(b.employment, 'eligibility.employment'),
    exclusions: [...(b.exclusions ?? []).filter((e) => !removed.has(e.id)), ...(p.exclusions ?? [])],
    groups: {
      work: { ...baseline.groups?.work, ...own.groups?.work },
      conditions: { ...baseline.groups?.conditions, ...own.groups?.conditions }
    },
    catalogue: {
      services: { ...baseline.catalogue?.services, ...own.catalogue?.services },
      signposts: { ...baseline.catalogue?.signposts, ...own.catalogue?.signposts }
    },
    services: mergeRules(baseline.services ?? [], own.services, removed),
    signposts: mergeRules(baseline.signposts ?? [], own.signposts, removed),
    urgent: mergeRules(baseline.urgent ?? [], own.urgent, removed),
    directory: { ...baseline.directory, ...own.directory },
    outOfArea: own.outOfArea ?? required(baseline.outOfArea, 'outOfArea'),
    outOfPartnership: required(baseline.outOfArea, 'outOfArea'),
    clinicalReview: reviewRule(required(baseline.clinicalReview, 'clinicalReview'), own.clinicalReview),
    // loadTriageRules sets the configured grace period; none, until it does
    reviewGraceDays: 0
  }
  const supportLength = own.supportLength ?? baseline.supportLength
  if (supportLength !== undefined) resolved.supportLength = supportLength
  const baselineIds = new Set([...(baseline.services ?? []), ...(baseline.signposts ?? []), ...(baseline.urgent ?? [])].map((r) => r.id))
  for (const id of removed) {
    if (!baselineIds.has(id) && !(b.exclusions ?? []).some((e) => e.id === id)) {
      throw new Error(`removeRules names "${id}", which is not a baseline rule`)
    }
  }
  checkResolved(resolved)
  return resolved
}

/**
 * Consistency checks a JSON schema cannot express. These are safety checks (docs/hazard-log.md
 * H1 "wrong service offered"): a rule that could offer CV help to someone in work, or workplace
 * adjustments to someone out of work, stops the start.
 */
export function checkResolved (r: ResolvedRules): void {
  const problems: string[] = []
  const ids = new Set<string>()
  const allRules: Array<[OutputRule, 'service' | 'signpost' | 'urgent']> = [
    ...r.services.map((x) => [x, 'service'] as [OutputRule, 'service']),
    ...r.signposts.map((x) => [x, 'signpost'] as [OutputRule, 'signpost']),
    ...r.urgent.map((x) => [x, 'urgent'] as [OutputRule, 'urgent'])
  ]
  const ruleIds = [...allRules.map(([x]) => x.id), r.minimumAge.id, r.footprint.id, r.employment.id, ...new Set([r.outOfArea.id, r.outOfPartnership.id]), r.clinicalReview.id, ...r.exclusions.map((e) => e.id)]
  for (const id of ruleIds) {
    if (ids.has(id)) problems.push(`rule id "${id}" is used twice`)
    ids.add(id)
    if (!id.startsWith('baseline/') && !id.startsWith(`${r.partnershipId}/`)) problems.push(`rule id "${id}" must start with "baseline/" or "${r.partnershipId}/"`)
  }
  const signpostKnown = (code: string, where: string): void => {
    if (r.catalogue.signposts[code] === undefined) problems.push(`${where}: signpost "${code}" is not in the catalogue`)
  }
  for (const [rule, kind] of allRules) {
    checkCondition(r, rule.id, rule.when, problems)
    if (kind === 'urgent') continue
    const entry = rule.code === undefined ? undefined : (kind === 'service' ? r.catalogue.services : r.catalogue.signposts)[rule.code]
    if (entry === undefined) {
      problems.push(`${rule.id}: ${kind} "${rule.code ?? '(none)'}" is not in the catalogue`)
      continue
    }
    if (entry.onlyFor !== undefined && !limitedTo(r, rule.when, entry.onlyFor)) {
      problems.push(`${rule.id}: "${rule.code ?? ''}" is only for people ${entry.onlyFor}, so the rule must apply only to them (when.work or when.situations)`)
    }
  }
  r.employment.signposts.forEach((s) => { signpostKnown(s, r.employment.id) })
  for (const rule of [r.outOfArea, r.outOfPartnership]) rule.signposts.forEach((s) => { signpostKnown(s, rule.id) })
  r.exclusions.forEach((e) => { e.signposts.forEach((s) => { signpostKnown(s, e.id) }) })
  for (const i of r.clinicalReview.ruledOutBy) {
    if (r.clinicalReview.indicators.includes(i)) problems.push(`${r.clinicalReview.id}: "${i}" cannot both call for clinical review and rule risk out`)
  }
  // Triage reads these two groups by name: time out of work, and the summary's wording.
  for (const g of ['in-work', 'out-of-work']) if (r.groups.work[g] === undefined) problems.push(`groups.work must define "${g}"`)
  for (const code of Object.keys(r.directory)) {
    if (r.catalogue.services[code] === undefined && r.catalogue.signposts[code] === undefined) problems.push(`directory: "${code}" is neither a service nor a signpost in the catalogue`)
  }
  for (const [code, entry] of [...Object.entries(r.catalogue.services), ...Object.entries(r.catalogue.signposts)]) {
    if (entry.onlyFor !== undefined && r.groups.work[entry.onlyFor] === undefined) problems.push(`catalogue: "${code}" is only for unknown work group "${entry.onlyFor}"`)
  }
  if (problems.length > 0) throw new Error(problems.join('; '))
}

function checkCondition (r: ResolvedRules, id: string, when: RuleCondition, problems: string[]): void {
  for (const g of when.work ?? []) if (r.groups.work[g] === undefined) problems.push(`${id}: unknown work group "${g}"`)
  for (const g of when.conditions ?? []) if (r.groups.conditions[g] === undefined) problems.push(`${id}: unknown condition group "${g}"`)
}

/** True when a condition can only match people in the given work group. */
function limitedTo (r: ResolvedRules, when: RuleCondition, group: string): boolean {
  const members = new Set(r.groups.work[group] ?? [])
  const byWork = when.work !== undefined && when.work.length > 0 && when.work.every((g) => g === group || (r.groups.work[g] ?? []).every((s) => members.has(s)))
  const bySituation = when.situations !== undefined && when.situations.length > 0 && when.situations.every((s) => members.has(s))
  return byWork || bySituation
}
