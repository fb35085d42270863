/** Reads one cookie's value from a Cookie header (RFC 6265 §5.4); undefined when absent. */
export function readCookie (header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const at = part.indexOf('=')
    if (at < 0) continue
    if (part.slice(0, at).trim() === name) return part.slice(at + 1).trim()
  }
  return undefined
}

export interface CookieOptions {
  path: string
  secure: boolean
  /** seconds; 0 deletes the cookie */
  maxAgeSeconds?: number
}

/**
 * A Set-Cookie value for the console session: HttpOnly (no script reads it), SameSite=Strict
 * (no cross-site request carries it: the first line against CSRF), Secure over https.
 */
export function sessionCookie (name: string, value: string, o: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${o.path}`, 'HttpOnly', 'SameSite=Strict']
  if (o.secure) parts.push('Secure')
  if (o.maxAgeSeconds !== undefined) parts.push(`Max-Age=${o.maxAgeSeconds}`)
  return parts.join('; ')
}
