import type { SecureContextOptions, TlsOptions } from 'node:tls'
import type { TlsMaterial } from './tls-config.ts'

/**
 * TLS 1.2 cipher suites: ECDHE key exchange with AEAD ciphers only (forward secrecy, no CBC,
 * no RSA key transport), as the Mozilla "intermediate" profile and NCSC TLS guidance list
 * them. TLS 1.3 suites are all AEAD and are left to OpenSSL's defaults.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305'
].join(':')

/**
 * The secure context of the gateway's HTTPS server: TLS 1.2 at least (1.3 is negotiated
 * whenever the client offers it: the highest common version wins), modern ciphers, and with a
 * client CA bundle, a client certificate asked for and verified against that bundle only
 * (`ca` replaces Node's default roots here). BaRS: the proxy reaches the receiver over TLS
 * mutual authentication and the receiver trusts only the NHS chains it is given.
 */
export function secureContextOptions (m: TlsMaterial): SecureContextOptions & Pick<TlsOptions, 'requestCert' | 'rejectUnauthorized'> {
  return {
    cert: m.cert,
    key: m.key,
    minVersion: 'TLSv1.2',
    ciphers: TLS12_CIPHERS,
    honorCipherOrder: true,
    // a certificate from outside the bundle, expired or not yet valid fails the handshake:
    // the connection never reaches the HTTP layer, so no body is ever read
    ...(m.ca === undefined ? {} : { ca: m.ca, requestCert: true, rejectUnauthorized: true })
  }
}
