import { outcomeError } from './operation-outcome.ts'

// one weak or strong entity tag (RFC 9110 §8.8.3); the gateway's are W/"{versionId}"
const ETAG = /^(?:W\/)?"([A-Za-z0-9\-.]{1,64})"$/

/**
 * The versionId an If-Match header names, for a version-aware update (R4 http.html
 * §3.1.0.5 "Managing Resource Contention").
 *
 * The gateway requires it on every update: without it, two partnerships' staff could
 * overwrite each other's status changes unseen. A missing header (or `*`, which names no
 * version) is 428 Precondition Required (RFC 6585 §3) rather than 412, so a client can tell
 * "you forgot If-Match" from "your copy is stale" (412, decided by the caller).
 *
 * @throws OperationOutcomeError 428 when absent or `*`, 400 when it is not one ETag
 */
export function ifMatchVersion (header: string | string[] | undefined): string {
  const value = (Array.isArray(header) ? header.join(', ') : header ?? '').trim()
  if (value === '' || value === '*') {
    throw outcomeError(428, 'required', 'This update needs If-Match: W/"{versionId}" naming the version it changes (read the resource for its ETag)', 'If-Match')
  }
  const m = ETAG.exec(value)
  if (m?.[1] === undefined) {
    throw outcomeError(400, 'invalid', `If-Match must be one ETag such as W/"3", not ${JSON.stringify(value.slice(0, 80))}`, 'If-Match')
  }
  return m[1]
}
