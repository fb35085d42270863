/** What the worker does with a partner's HTTP answer. */
export type ResponseVerdict = 'delivered' | 'retry' | 'reject'

/**
 * Classifies a partner's HTTP status.
 * - 2xx: delivered.
 * - 408 Request Timeout, 429 Too Many Requests and 5xx: the partner may accept it later.
 * - any other status (4xx, and 3xx because redirects are not followed: the endpoint is
 *   misconfigured): sending the same body again cannot succeed, so it is a dead letter.
 * @param status - HTTP status code
 */
export function classifyStatus (status: number): ResponseVerdict {
  if (status >= 200 && status < 300) {
    return 'delivered'
  }
  if (status === 408 || status === 429 || status >= 500) {
    return 'retry'
  }
  return 'reject'
}

/** undici error codes that mean "the partner was too slow", not "the connection broke". */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/**
 * A short, PHI-free description of a failed send: the kind of failure and its error code,
 * never the message (which may quote a URL or response text).
 * @param err - whatever undici or the abort signal threw
 */
export function describeSendError (err: unknown): string {
  const code = errorProperty(err, 'code')
  const name = errorProperty(err, 'name')
  if ((code !== undefined && TIMEOUT_CODES.has(code)) || name === 'TimeoutError') {
    return `timeout (${code ?? name ?? 'unknown'})`
  }
  return `connection error (${code ?? name ?? 'unknown'})`
}

function errorProperty (err: unknown, key: 'code' | 'name'): string | undefined {
  if (err === null || typeof err !== 'object') {
    return undefined
  }
  const value: unknown = (err as Record<string, unknown>)[key]
  return typeof value === 'string' ? value : undefined
}
