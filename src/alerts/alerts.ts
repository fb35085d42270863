import type { CircuitRecord, OutboxStats } from '../store/store.ts'

/** The alerts the gateway raises (CamelCase names, as Prometheus alerting rules name them). */
export type AlertName = 'ReferralDeadLettered' | 'PartnerCircuitOpenLong' | 'ReferralDeliveryDelayed' | 'TriageRulesReviewOverdue' | 'TriageHeldForReview' | 'DirectoryCheckOverdue'

/** One active alert. Ids, counts and times only: nothing about a patient. */
export interface Alert {
  name: AlertName
  /** stable while the same condition holds: the name, plus the partnership when it has one */
  key: string
  /** 'symptom' pages someone (referrals are not getting through); 'cause' is a ticket */
  kind: 'symptom' | 'cause'
  partnershipId?: string
  /** since when the condition holds, as far as the store tells */
  since: string
  /** a short, coded description for the operator */
  detail: string
}

/** When each condition becomes an alert. */
export interface AlertThresholds {
  /** a circuit open (or half-open) longer than this */
  circuitOpenMs: number
  /** a pending row older than this */
  oldestPendingMs: number
}

/** A partnership's triage rules (its rule file, the baseline and its partnership.json) and when they must next be reviewed. */
export interface RulesReview {
  partnershipId: string
  /** the earliest review date (YYYY-MM-DD) of the rule files and partnership.json it triages with */
  reviewBy: string
  /** days past it before triage for the partnership is held for a clinician */
  graceDays: number
  /**
   * the directory entries with a phone number or web address it signposts to, each with the
   * day it was last checked against its source, and how old that check may grow
   * (docs/hazard-log.md H13); absent: no directory alert
   */
  directory?: { checks: ReadonlyArray<{ code: string, checked: string }>, maxAgeDays: number }
}

/** What the alerts are worked out from. */
export interface AlertFacts {
  now: Date
  stats: OutboxStats
  circuits: readonly CircuitRecord[]
  /** each partnership's rule review date; absent: no rule alerts */
  reviews?: readonly RulesReview[]
}

const DAY_MS = 86_400_000

/**
 * Works out the active alerts: a pure function of the store's outbox counts and circuits, so
 * every instance shows the same alerts and one clears as soon as its condition is gone (a
 * dead letter replayed, a circuit closed, the backlog drained). Symptoms, not causes, page
 * (Google SRE book, "Monitoring Distributed Systems"): a dead letter and a delayed referral
 * are symptoms; a long-open circuit is their likely cause.
 */
export function evaluateAlerts (facts: AlertFacts, thresholds: AlertThresholds): Alert[] {
  const now = facts.now.getTime()
  const alerts: Alert[] = []
  if (facts.stats.deadLetter > 0) {
    alerts.push({
      name: 'ReferralDeadLettered',
      key: 'ReferralDeadLettered',
      kind: 'symptom',
      // the store keeps no "first dead letter" time; the alert is about the rows still there
      since: facts.now.toISOString(),
      detail: `${facts.stats.deadLetter} delivery(ies) dead-lettered: see GET /admin/deliveries?status=dead-letter, fix the cause and replay`
    })
  }
  const oldest = facts.stats.oldestPendingCreatedAt
  if (oldest !== undefined && now - Date.parse(oldest) > thresholds.oldestPendingMs) {
    alerts.push({
      name: 'ReferralDeliveryDelayed',
      key: 'ReferralDeliveryDelayed',
      kind: 'symptom',
      since: new Date(Date.parse(oldest) + thresholds.oldestPendingMs).toISOString(),
      detail: `oldest pending delivery queued at ${oldest}, ${facts.stats.pending} pending`
    })
  }
  for (const c of facts.circuits) {
    if (c.state === 'closed' || c.openedAt === undefined) continue
    const openedAt = Date.parse(c.openedAt)
    if (now - openedAt <= thresholds.circuitOpenMs) continue
    alerts.push({
      name: 'PartnerCircuitOpenLong',
      key: `PartnerCircuitOpenLong/${c.partnershipId}`,
      kind: 'cause',
      partnershipId: c.partnershipId,
      since: new Date(openedAt + thresholds.circuitOpenMs).toISOString(),
      detail: `circuit ${c.state} since ${c.openedAt}: the partnership system is not answering`
    })
  }
  for (const r of facts.reviews ?? []) {
    const directory = r.directory === undefined ? undefined : directoryAlert(r.partnershipId, r.directory, now)
    if (directory !== undefined) alerts.push(directory)
    // dates are whole England days: the rules lapse at the end of their review day
    const lapsed = Date.parse(`${r.reviewBy}T00:00:00.000Z`) + DAY_MS
    if (now < lapsed) continue
    const held = lapsed + r.graceDays * DAY_MS
    alerts.push(now >= held
      ? {
          name: 'TriageHeldForReview',
          key: `TriageHeldForReview/${r.partnershipId}`,
          kind: 'symptom',
          partnershipId: r.partnershipId,
          since: new Date(held).toISOString(),
          detail: `triage rules passed their review date ${r.reviewBy} over ${r.graceDays} days ago: referrals are held as needs-information for a clinician until the rules are reviewed and given a new version`
        }
      : {
          name: 'TriageRulesReviewOverdue',
          key: `TriageRulesReviewOverdue/${r.partnershipId}`,
          kind: 'cause',
          partnershipId: r.partnershipId,
          since: new Date(lapsed).toISOString(),
          detail: `triage rules passed their review date ${r.reviewBy}: review them within ${r.graceDays} days, or triage is held`
        })
  }
  return alerts
}

/**
 * An alert for the directory entries whose check is older than allowed, the way a passed
 * review date is one: a cause to fix (check each against its source and record the day), not a
 * symptom, since the Task still names the service. Codes and dates only.
 */
function directoryAlert (partnershipId: string, directory: NonNullable<RulesReview['directory']>, now: number): Alert | undefined {
  // a check covers its whole (England) day, as a review date does
  const due = (checked: string): number => Date.parse(`${checked}T00:00:00.000Z`) + (directory.maxAgeDays + 1) * DAY_MS
  const stale = directory.checks.filter((c) => now >= due(c.checked)).sort((a, b) => a.checked.localeCompare(b.checked) || a.code.localeCompare(b.code))
  const oldest = stale[0]
  if (oldest === undefined) return undefined
  return {
    name: 'DirectoryCheckOverdue',
    key: `DirectoryCheckOverdue/${partnershipId}`,
    kind: 'cause',
    partnershipId,
    since: new Date(due(oldest.checked)).toISOString(),
    detail: `directory entries last checked more than ${directory.maxAgeDays} days ago: ${stale.map((c) => `${c.code} (${c.checked})`).join(', ')}: check each phone number and address against its source and record the day in the rule file (a new version)`
  }
}
