/**
 * Thrown by saveReferral when its X-Request-Id is already done: another request with the
 * same id took over a stale claim and completed first. The whole write is rolled back, so
 * the referral is stored once; the caller answers with the stored one instead.
 */
export class RequestIdAlreadyDoneError extends Error {
  readonly requestId: string

  constructor (requestId: string) {
    super(`X-Request-Id '${requestId}' is already done`)
    this.name = 'RequestIdAlreadyDoneError'
    this.requestId = requestId
  }
}

/**
 * Thrown by saveReferral when its referral reference is already another Task's (the unique
 * index tasks_reference_unique). Nothing of the write is kept; the caller draws another
 * reference and saves again (docs/referral-reference.md).
 */
export class ReferenceTakenError extends Error {
  readonly reference: string

  constructor (reference: string) {
    super(`referral reference '${reference}' is already taken`)
    this.name = 'ReferenceTakenError'
    this.reference = reference
  }
}

/** The unique index that makes a referral reference the gateway's only one (store migrations). */
export const REFERENCE_INDEX = 'tasks_reference_unique'
