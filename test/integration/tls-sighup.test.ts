import { Agent } from 'node:https'
import { X509Certificate } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { tempDataDir } from '../helpers/gateway.ts'
import { spawnServer, type ServerProcess } from '../helpers/spawn-server.ts'
import { createTestPki, hasOpenssl } from '../helpers/test-pki.ts'
import { tlsRequest } from '../helpers/tls-client.ts'

const openssl = hasOpenssl()
if (!openssl) process.stdout.write('tls-sighup: skipped, the openssl CLI is not on this machine\n')

describe.runIf(openssl)('SIGHUP re-reads the certificates of the running server (npm start)', () => {
  const pki = openssl ? createTestPki() : undefined
  const dataDir = tempDataDir()
  let server: ServerProcess | undefined
  afterAll(async () => {
    server?.child.kill('SIGTERM')
    await server?.exited()
    pki?.remove()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('keeps an open keep-alive connection and serves new handshakes with the new certificate and bundle', async () => {
    if (pki === undefined) throw new Error('no pki')
    const ca = pki.ca('nhs')
    const retired = pki.ca('retired')
    const first = ca.issue('gateway.test', { dns: ['localhost'], usage: 'server' })
    const oldClient = retired.issue('bars-proxy.test', { usage: 'client' })
    const newClient = ca.issue('bars-proxy.test', { usage: 'client' })
    const certFile = path.join(pki.dir, 'server.pem')
    const keyFile = path.join(pki.dir, 'server.key')
    writeFileSync(certFile, first.cert)
    writeFileSync(keyFile, first.key)
    const bundle = pki.bundle('clients.pem', [ca, retired])
    server = await spawnServer({ WORKWELL_DATA_DIR: dataDir, WORKWELL_DELIVERY_ENABLED: 'false', WORKWELL_TLS_CERT: certFile, WORKWELL_TLS_KEY: keyFile, WORKWELL_TLS_CLIENT_CA: bundle })
    expect(server.origin).toMatch(/^https:/)
    const live = `${server.origin}/health/live`
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const before = await tlsRequest(live, { ca: ca.cert, cert: oldClient.cert, key: oldClient.key, agent })
      expect(before.status).toBe(200)

      const second = ca.issue('gateway.test', { dns: ['localhost'], usage: 'server' })
      writeFileSync(certFile, second.cert)
      writeFileSync(keyFile, second.key)
      pki.bundle('clients.pem', [ca])
      server.child.kill('SIGHUP')
      const running = server
      await vi.waitFor(() => { expect(running.output()).toContain('tls-reloaded') }, { timeout: 10_000, interval: 50 })

      const kept = await tlsRequest(live, { ca: ca.cert, cert: oldClient.cert, key: oldClient.key, agent })
      expect(kept.status).toBe(200)
      expect(kept.reusedSocket).toBe(true)
      const fresh = await tlsRequest(live, { ca: ca.cert, cert: newClient.cert, key: newClient.key })
      expect(fresh.serverFingerprint).toBe(new X509Certificate(second.cert).fingerprint256)
      await expect(tlsRequest(live, { ca: ca.cert, cert: oldClient.cert, key: oldClient.key })).rejects.toThrow()
      expect(server.child.exitCode).toBeNull()
    } finally {
      agent.destroy()
    }
  })
})
