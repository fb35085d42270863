import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/config.ts'
import { loadTlsConfig } from '../../../src/tls/tls-config.ts'
import { secureContextOptions } from '../../../src/tls/secure-context.ts'
import { createTestPki, hasOpenssl, type Issued, type TestCa, type TestPki } from '../../helpers/test-pki.ts'

const openssl = hasOpenssl()
if (!openssl) process.stdout.write('tls-config: skipped, the openssl CLI is not on this machine\n')

function refusal (env: Record<string, string>): ConfigError {
  try {
    loadTlsConfig(env, '/')
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('accepted')
}

describe.runIf(openssl)('loadTlsConfig', () => {
  let pki: TestPki
  let ca: TestCa
  let server: Issued
  beforeAll(() => {
    pki = createTestPki()
    ca = pki.ca('nhs')
    server = ca.issue('gateway.test', { dns: ['localhost'], usage: 'server' })
  })
  afterAll(() => { pki.remove() })

  it('is plain HTTP when nothing is set', () => {
    expect(loadTlsConfig({}, '/')).toBeUndefined()
  })

  it('reads certificate, key, client CA and proxy subjects', () => {
    const tls = loadTlsConfig({ WORKWELL_TLS_CERT: server.certFile, WORKWELL_TLS_KEY: server.keyFile, WORKWELL_TLS_CLIENT_CA: ca.certFile, WORKWELL_BARS_PROXY_SUBJECTS: ' Proxy.Example.nhs.uk , other ' }, '/')
    expect(tls).toEqual({ certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile, proxySubjects: ['proxy.example.nhs.uk', 'other'] })
  })

  it('names the variable of a missing or unreadable file', () => {
    const missing = path.join(pki.dir, 'nope.pem')
    expect(refusal({ WORKWELL_TLS_CERT: missing, WORKWELL_TLS_KEY: server.keyFile }).variable).toBe('WORKWELL_TLS_CERT')
    expect(refusal({ WORKWELL_TLS_CERT: server.certFile, WORKWELL_TLS_KEY: missing }).variable).toBe('WORKWELL_TLS_KEY')
    expect(refusal({ WORKWELL_TLS_CERT: server.certFile, WORKWELL_TLS_KEY: server.keyFile, WORKWELL_TLS_CLIENT_CA: missing }).variable).toBe('WORKWELL_TLS_CLIENT_CA')
    const junk = path.join(pki.dir, 'junk.pem')
    writeFileSync(junk, 'not a certificate')
    expect(refusal({ WORKWELL_TLS_CERT: junk, WORKWELL_TLS_KEY: server.keyFile }).variable).toBe('WORKWELL_TLS_CERT')
    expect(refusal({ WORKWELL_TLS_CERT: server.certFile, WORKWELL_TLS_KEY: server.keyFile, WORKWELL_TLS_CLIENT_CA: junk }).variable).toBe('WORKWELL_TLS_CLIENT_CA')
  })

  it('refuses a key that is not the certificate\'s', () => {
    const other = ca.issue('other.test', { usage: 'server' })
    expect(refusal({ WORKWELL_TLS_CERT: server.certFile, WORKWELL_TLS_KEY: other.keyFile }).variable).toBe('WORKWELL_TLS_KEY')
  })

  it('refuses half a configuration and proxies nothing could verify', () => {
    expect(refusal({ WORKWELL_TLS_CERT: server.certFile }).variable).toBe('WORKWELL_TLS_KEY')
    expect(refusal({ WORKWELL_TLS_KEY: server.keyFile }).variable).toBe('WORKWELL_TLS_CERT')
    expect(refusal({ WORKWELL_TLS_CLIENT_CA: ca.certFile }).variable).toBe('WORKWELL_TLS_CLIENT_CA')
    expect(refusal({ WORKWELL_BARS_PROXY_SUBJECTS: 'proxy' }).variable).toBe('WORKWELL_BARS_PROXY_SUBJECTS')
    expect(refusal({ WORKWELL_TLS_CERT: server.certFile, WORKWELL_TLS_KEY: server.keyFile, WORKWELL_BARS_PROXY_SUBJECTS: 'proxy' }).variable).toBe('WORKWELL_BARS_PROXY_SUBJECTS')
    expect(refusal({ WORKWELL_TLS_CERT: server.certFile, WORKWELL_TLS_KEY: server.keyFile, WORKWELL_TLS_CLIENT_CA: ca.certFile, WORKWELL_BARS_PROXY_SUBJECTS: 'a b' }).variable).toBe('WORKWELL_BARS_PROXY_SUBJECTS')
  })
})

describe('secureContextOptions', () => {
  it('asks for and verifies client certificates only with a bundle, TLS 1.2 at least, AEAD ECDHE ciphers', () => {
    expect(secureContextOptions({ cert: 'c', key: 'k' })).not.toHaveProperty('requestCert')
    const o = secureContextOptions({ cert: 'c', key: 'k', ca: 'a' })
    expect(o).toMatchObject({ ca: 'a', requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' })
    for (const c of String(o.ciphers).split(':')) expect(c).toMatch(/^ECDHE-(ECDSA|RSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/)
  })
})
