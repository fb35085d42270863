import type { FastifyReply } from 'fastify'

/**
 * Response headers for an API that carries special-category data (OWASP Secure Headers
 * Project, REST): nothing is sniffed, framed, cached or referred. A route that set its own
 * Cache-Control keeps it.
 */
export function securityHeaders (reply: FastifyReply, path: string, production: boolean): void {
  reply.header('X-Content-Type-Options', 'nosniff')
  reply.header('X-Frame-Options', 'DENY')
  reply.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'")
  reply.header('Referrer-Policy', 'no-referrer')
  reply.header('Cross-Origin-Resource-Policy', 'same-origin')
  // R4 http.html leaves caching to HTTP; a shared cache must never keep a referral (RFC 9111 §5.2.2.5)
  if (!reply.hasHeader('Cache-Control') && (path.startsWith('/fhir') || path.startsWith('/admin'))) {
    reply.header('Cache-Control', 'no-store')
  }
  // TLS ends in front of the gateway in production; tell browsers never to use plain http
  if (production) reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains')
}
