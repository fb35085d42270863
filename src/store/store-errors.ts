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
