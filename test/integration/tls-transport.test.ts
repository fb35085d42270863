import { Agent } from 'node:https'
import { X509Certificate } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { createTestPki, hasOpenssl, type Issued, type TestCa, type TestPki } from '../helpers/test-pki.ts'
import { tlsRequest } from '../helpers/tls-client.ts'
import { reloadTls } from '../../src/tls/reload.ts'
import type { Server as TlsServer } from 'node:tls'

const openssl = hasOpenssl()
if (!openssl) process.stdout.write('tls-transport: skipped, the openssl CLI is not on this machine\n')

describe.runIf(openssl)('HTTPS with client certificates (real TLS on loopback)', () => {
  let pki: TestPki
  let nhsCa: TestCa
  let otherCa: TestCa
  let spareCa: TestCa
  let server: Issued
  let proxy: Issued
  let gw: TestGateway
  let bundleFile: string
  let certFile: string
  let keyFile: string

  beforeAll(async () => {
    pki = createTestPki()
    nhsCa = pki.ca('nhs')
    otherCa = pki.ca('other')
    spareCa = pki.ca('spare')
    server = nhsCa.issue('gateway.test', { dns: ['localhost'], usage: 'server' })
    proxy = nhsCa.issue('bars-proxy.test', { usage: 'client' })
    // the files the gateway reads, rewritten in place by the rotation test
    certFile = path.join(pki.dir, 'server.pem')
    keyFile = path.join(pki.dir, 'server.key')
    writeFileSync(certFile, server.cert)
    writeFileSync(keyFile, server.key)
    bundleFile = pki.bundle('clients.pem', [nhsCa, spareCa])
    gw = await startGateway({ env: { WORKWELL_TLS_CERT: certFile, WORKWELL_TLS_KEY: keyFile, WORKWELL_TLS_CLIENT_CA: bundleFile } })
  })
  afterAll(async () => {
    await gw?.close()
    pki?.remove()
  })

  const live = (): string => `${gw.origin}/health/live`

  it('serves HTTPS, TLS 1.3 when the client offers it, and accepts a certificate from the bundle', async () => {
    expect(gw.origin).toMatch(/^https:/)
    const res = await tlsRequest(live(), { ca: nhsCa.cert, cert: proxy.cert, key: proxy.key })
    expect(res.status).toBe(200)
    expect(res.protocol).toBe('TLSv1.3')
    const tls12 = await tlsRequest(live(), { ca: nhsCa.cert, cert: proxy.cert, key: proxy.key, maxVersion: 'TLSv1.2' })
    expect(tls12.status).toBe(200)
    expect(tls12.protocol).toBe('TLSv1.2')
  })

  it('refuses a connection without a client certificate in the handshake', async () => {
    await expect(tlsRequest(live(), { ca: nhsCa.cert })).rejects.toThrow()
  })

  it('refuses a certificate from a CA outside the bundle', async () => {
    const stranger = otherCa.issue('bars-proxy.test', { usage: 'client' })
    await expect(tlsRequest(live(), { ca: nhsCa.cert, cert: stranger.cert, key: stranger.key })).rejects.toThrow()
  })

  it('refuses an expired certificate and one not yet valid', async () => {
    const day = 86_400_000
    const expired = nhsCa.issue('bars-proxy.test', { usage: 'client', notBefore: new Date(Date.now() - 3 * day), notAfter: new Date(Date.now() - day) })
    const early = nhsCa.issue('bars-proxy.test', { usage: 'client', notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 2 * day) })
    await expect(tlsRequest(live(), { ca: nhsCa.cert, cert: expired.cert, key: expired.key })).rejects.toThrow()
    await expect(tlsRequest(live(), { ca: nhsCa.cert, cert: early.cert, key: early.key })).rejects.toThrow()
  })

  it('rotation: an open keep-alive connection keeps working, new handshakes get the new certificate, and a CA taken out of the bundle is refused', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const spareClient = spareCa.issue('bars-proxy.test', { usage: 'client' })
      const first = await tlsRequest(live(), { ca: nhsCa.cert, cert: proxy.cert, key: proxy.key, agent })
      expect(first.status).toBe(200)
      const oldPrint = new X509Certificate(server.cert).fingerprint256
      expect(first.serverFingerprint).toBe(oldPrint)

      const next = nhsCa.issue('gateway.test', { dns: ['localhost'], usage: 'server' })
      writeFileSync(certFile, next.cert)
      writeFileSync(keyFile, next.key)
      pki.bundle('clients.pem', [spareCa])
      expect(reloadTls(gw.server.server as unknown as TlsServer, gw.deps.config.tls ?? { certFile, keyFile, proxySubjects: [] })).toEqual({ ok: true })

      const kept = await tlsRequest(live(), { ca: nhsCa.cert, cert: proxy.cert, key: proxy.key, agent })
      expect(kept.status).toBe(200)
      expect(kept.reusedSocket).toBe(true)
      expect(kept.serverFingerprint).toBe(oldPrint)

      const fresh = await tlsRequest(live(), { ca: nhsCa.cert, cert: spareClient.cert, key: spareClient.key })
      expect(fresh.status).toBe(200)
      expect(fresh.serverFingerprint).toBe(new X509Certificate(next.cert).fingerprint256)
      await expect(tlsRequest(live(), { ca: nhsCa.cert, cert: proxy.cert, key: proxy.key })).rejects.toThrow()
    } finally {
      agent.destroy()
    }
  })

  it('a reload with a broken file keeps the current certificates', async () => {
    const tls = gw.deps.config.tls
    if (tls === undefined) throw new Error('the gateway runs without TLS')
    const result = reloadTls(gw.server.server as unknown as TlsServer, { ...tls, keyFile: path.join(pki.dir, 'missing.key') })
    expect(result.ok).toBe(false)
    expect(result.ok ? '' : result.reason).toContain('WORKWELL_TLS_KEY')
  })
})
