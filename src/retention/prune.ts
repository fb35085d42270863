import type { PruneCounts, PruneCutoffs, Store } from '../store/store.ts'

const DAY_MS = 86_400_000

/** Retention periods, in days (docs/retention.md gives each default and its source). */
export interface RetentionPeriods {
  deliveredDays: number
  auditDays: number
}

/** The cutoffs for a prune run at `now`: anything older than now minus each period goes. */
export function pruneCutoffs (now: Date, periods: RetentionPeriods): PruneCutoffs {
  return {
    deliveredBefore: new Date(now.getTime() - periods.deliveredDays * DAY_MS),
    auditBefore: new Date(now.getTime() - periods.auditDays * DAY_MS)
  }
}

/** One prune: delivered outbox rows and audit records past their periods (never pending or dead-letter rows). */
export async function pruneOnce (store: Pick<Store, 'prune'>, now: Date, periods: RetentionPeriods, dryRun = false): Promise<PruneCounts & { cutoffs: PruneCutoffs }> {
  const cutoffs = pruneCutoffs(now, periods)
  return { ...await store.prune(cutoffs, dryRun), cutoffs }
}
