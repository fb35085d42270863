/**
 * Earlier referrals of the same person, found by a keyed digest of the NHS number (never the
 * number itself), so the same person referred twice is linked rather than silently handled
 * twice (docs/decisions/duplicate-referrals.md, docs/hazard-log.md H18). The key is written
 * with the referral (ReferralWrite.patientKey).
 */
export interface DuplicateIndex {
  /**
   * The latest `limit` referrals stored with this patient key that were accepted at or after
   * `since` (an instant), oldest first. The gateway's own lookup, across every partnership and
   * referrer: what of it a caller may see is the intake's decision
   * (src/intake/duplicate-referrals.ts). The limit keeps the lookup, the new Task and its audit
   * records bounded however often one NHS number is referred.
   */
  referralsByPatientKey(patientKey: string, since: string, limit: number): Promise<KeyedReferral[]>
}

/** A referral found by {@link DuplicateIndex.referralsByPatientKey}: its ids and whose it is. */
export interface KeyedReferral {
  serviceRequestId: string
  taskId: string
  /** the human-readable reference (WW-…), when it has one */
  reference?: string
  /** the partnership it was routed to */
  owner: string
  /** the referring practice's ODS code, when it named one */
  requesterOds?: string
  /** when it was accepted (the Task's first lastUpdated) */
  acceptedAt: string
}
