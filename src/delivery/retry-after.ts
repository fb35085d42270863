/**
 * Reads a Retry-After header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * @param value - the header as received (undici gives a string, or an array when repeated)
 * @param now - the clock's now, for an HTTP-date
 * @returns milliseconds to wait (never negative), or undefined when absent or unreadable
 */
export function parseRetryAfter (value: string | string[] | undefined, now: Date): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim()
  if (raw === undefined || raw === '') {
    return undefined
  }
  if (/^\d+$/.test(raw)) {
    return Number(raw) * 1000
  }
  // an HTTP-date always names a weekday and GMT; this refuses bare numbers with signs or
  // fractions, which Date.parse would otherwise read as years
  if (!/^[A-Za-z]{3},? /.test(raw) && !/GMT$/.test(raw)) {
    return undefined
  }
  const at = Date.parse(raw)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime())
}
