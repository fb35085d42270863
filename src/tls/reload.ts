import type { Server as TlsServer } from 'node:tls'
import { readTlsMaterial, type TlsConfig } from './tls-config.ts'
import { secureContextOptions } from './secure-context.ts'

export type ReloadResult = { ok: true } | { ok: false, reason: string }

/**
 * Re-reads the certificate, key and client CA bundle and puts them in place for new
 * handshakes (tls.Server.setSecureContext): open connections keep the context they were
 * made with, so a rotation drops nothing. A file that cannot be read or does not fit keeps
 * the current context and says why (the reason names the variable, never file contents).
 */
export function reloadTls (server: Pick<TlsServer, 'setSecureContext'>, tls: TlsConfig): ReloadResult {
  try {
    server.setSecureContext(secureContextOptions(readTlsMaterial(tls)))
    return { ok: true }
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : 'unreadable TLS material' }
  }
}
