import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import { app, type AppOptions } from '../../src/app.ts'
import { serverOptions } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { openGatewayDeps } from '../../src/gateway-deps.ts'
import { withTls } from '../../src/tls/https-options.ts'
import type { Role } from '../../src/auth/principal.ts'
import { senderId, senderKey } from '../../src/auth/access-policy.ts'
import type { LogCapture } from './log-capture.ts'
import { createTestIssuer, registerTokenSource, roleClaims, type SignOptions, type TestIssuer, type TokenSource } from './tokens.ts'

export const REPO = path.resolve(import.meta.dirname, '../..')
export const BASE_URL = 'http://gateway.test/fhir'
/** the aud of every test token (WORKWELL_AUTH_AUDIENCE of test gateways) */
export const TEST_AUDIENCE = 'workwell-test'

export interface TestGateway extends TokenSource {
  /** http://127.0.0.1:<port> */
  origin: string
  /** origin + /fhir */
  fhir: string
  dataDir: string
  server: FastifyInstance
  deps: AppOptions
  /** every log line written so far (when logs were captured) */
  logs: string[]
  /** the gateway's trusted token issuer: a key pair made for this gateway */
  issuer: TestIssuer
  /** a token signed by the issuer for a client with these roles and bindings */
  token: (o: { roles: Role[], ods?: string[], partnership?: string[], client?: string }, sign?: SignOptions) => Promise<string>
  /** closes the app and the store; keeps the data folder */
  stop(): Promise<void>
  /** stop() and remove the data folder */
  close(): Promise<void>
}

/** The sender id (access-policy.ts senderId) of the test client (tokenFor's default client) on a gateway. */
export function testSender (gw: { issuer: { issuer: string } }): string {
  return senderId({ issuer: gw.issuer.issuer, clientId: 'test-client' })
}

/** An X-Request-Id as the store keeps it for the test client (access-policy.ts senderKey). */
export function testRequestKey (gw: { issuer: { issuer: string } }, requestId: string): string {
  return senderKey({ issuer: gw.issuer.issuer, clientId: 'test-client' }, requestId)
}

export function tempDataDir (): string {
  return mkdtempSync(path.join(tmpdir(), 'workwell-test-'))
}

/**
 * Starts the real gateway on 127.0.0.1 with a real SQLite file in a temporary folder.
 * @param options - env overrides, a data folder to reuse, and app overrides (ids, clock)
 */
export async function startGateway (options: { env?: Record<string, string>, dataDir?: string, overrides?: Partial<AppOptions>, captureLogs?: boolean, logCapture?: LogCapture } = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? tempDataDir()
  const issuer = await createTestIssuer({ audience: TEST_AUDIENCE, alg: 'ES256' })
  const jwksFile = issuer.writeJwks(dataDir, 'test-issuer-jwks.json')
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: options.captureLogs === true || options.logCapture !== undefined ? 'info' : 'silent',
    WORKWELL_DATA_DIR: dataDir,
    WORKWELL_BASE_URL: BASE_URL,
    WORKWELL_DELIVERY_ENABLED: 'false',
    WORKWELL_AUTH_ISSUERS: `${issuer.issuer}=${jwksFile}`,
    WORKWELL_AUTH_AUDIENCE: TEST_AUDIENCE,
    ...options.env
  }, REPO)
  const deps = { ...(await openGatewayDeps(config)), ...options.overrides }
  const logs: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { logs.push(chunk.toString('utf8')); cb() } })
  const server = Fastify(withTls(serverOptions(config, options.logCapture?.destination ?? (options.captureLogs === true ? sink : undefined)), config.tls))
  await server.register(app, deps)
  await server.listen({ host: '127.0.0.1', port: 0 })
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  const origin = `${config.tls === undefined ? 'http' : 'https'}://127.0.0.1:${address.port}`
  const partnershipIds = [...deps.partnerships.keys()]
  registerTokenSource(origin, { issuer, partnershipIds })
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await server.close()
    await deps.store.close()
  }
  return {
    origin,
    fhir: `${origin}/fhir`,
    dataDir,
    server,
    deps,
    logs,
    issuer,
    token: async (o, sign) => issuer.sign(roleClaims(o), sign),
    partnershipIds,
    stop,
    close: async () => { await stop(); rmSync(dataDir, { recursive: true, force: true }) }
  }
}
