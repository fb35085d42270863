/**
 * X-Request-Id idempotency (docs/decisions/bars-request-id.md): a claim before any work, a
 * release when the work failed. A claim is completed by the write that stores its result
 * (ReferralWrite.requestId, TaskVersionWrite.requestId), in that write's transaction.
 */
export interface RequestIdStore {
  /**
   * Claims an X-Request-Id before any work is done. A claim older than `staleAfterMs` that
   * never completed (its process died) is taken over.
   */
  claimRequestId(requestId: string, now: Date, staleAfterMs: number): Promise<RequestIdClaim>
  /** Frees a claim whose request failed, so the client may retry with the same id. */
  releaseRequestId(requestId: string): Promise<void>
}

export type RequestIdClaim =
  | { kind: 'claimed' }
  | { kind: 'in-flight' }
  | { kind: 'done', serviceRequestId: string, taskId: string }
