import type { Server as HttpServer } from 'node:http'
import type { FastifyHttpOptions, FastifyServerOptions } from 'fastify'
import { secureContextOptions } from './secure-context.ts'
import { readTlsMaterial, type TlsConfig } from './tls-config.ts'

/**
 * Fastify's instance options with HTTPS added when TLS is configured. The instance keeps
 * Fastify's default (http) typing: no route touches the raw server, and only the SIGHUP
 * reload needs it as a tls.Server (server.ts).
 */
export function withTls (options: FastifyServerOptions, tls: TlsConfig | undefined): FastifyHttpOptions<HttpServer> {
  if (tls === undefined) return options
  return { ...options, https: secureContextOptions(readTlsMaterial(tls)) } as unknown as FastifyHttpOptions<HttpServer>
}
