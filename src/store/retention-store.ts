/** Retention: what the scheduled prune and `workwell prune` delete. */
export interface RetentionStore {
  /**
   * Deletes delivered outbox rows settled before `deliveredBefore` and audit records recorded
   * before `auditBefore`, in small batches (other writers get the lock between them). Pending
   * and dead-letter rows are never touched. With dryRun, counts only. Task versions are not
   * kept (an update rewrites the Task), so there are none to prune.
   */
  prune(cutoffs: PruneCutoffs, dryRun: boolean): Promise<PruneCounts>
}

/** What {@link RetentionStore.prune} deletes: everything older than these instants. */
export interface PruneCutoffs {
  deliveredBefore: Date
  auditBefore: Date
}

/** How many rows a prune deleted (or, dry, would delete). */
export interface PruneCounts {
  deliveredRows: number
  auditRecords: number
}
