import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import { app, type AppOptions } from '../../src/app.ts'
import { serverOptions } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { openGatewayDeps } from '../../src/gateway-deps.ts'

export const REPO = path.resolve(import.meta.dirname, '../..')
export const BASE_URL = 'http://gateway.test/fhir'

export interface TestGateway {
  /** http://127.0.0.1:<port> */
  origin: string
  /** origin + /fhir */
  fhir: string
  dataDir: string
  server: FastifyInstance
  deps: AppOptions
  /** every log line written so far (when logs were captured) */
  logs: string[]
  /** closes the app and the store; keeps the data folder */
  stop(): Promise<void>
  /** stop() and remove the data folder */
  close(): Promise<void>
}

export function tempDataDir (): string {
  return mkdtempSync(path.join(tmpdir(), 'workwell-test-'))
}

/**
 * Starts the real gateway on 127.0.0.1 with a real SQLite file in a temporary folder.
 * @param options - env overrides, a data folder to reuse, and app overrides (ids, clock)
 */
export async function startGateway (options: { env?: Record<string, string>, dataDir?: string, overrides?: Partial<AppOptions>, captureLogs?: boolean } = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? tempDataDir()
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: options.captureLogs === true ? 'info' : 'silent',
    WORKWELL_DATA_DIR: dataDir,
    WORKWELL_BASE_URL: BASE_URL,
    WORKWELL_DELIVERY_ENABLED: 'false',
    ...options.env
  }, REPO)
  const deps = { ...(await openGatewayDeps(config)), ...options.overrides }
  const logs: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { logs.push(chunk.toString('utf8')); cb() } })
  const server = Fastify(serverOptions(config, options.captureLogs === true ? sink : undefined))
  await server.register(app, deps)
  await server.listen({ host: '127.0.0.1', port: 0 })
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  const origin = `http://127.0.0.1:${address.port}`
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
    stop,
    close: async () => { await stop(); rmSync(dataDir, { recursive: true, force: true }) }
  }
}
