import { enableCompileCache } from 'node:module'
import type { Server as TlsServer } from 'node:tls'
import { errorFields } from './error-fields.ts'

// Keep the compiled (type-stripped) modules between starts, in the OS temp folder: loading
// them is about half of start-to-ready (the target is < 1 s). It must be on before they load,
// so they are imported here rather than by hoisted static imports. bin/start.js (npm start)
// has turned it on already, before this file itself loaded; a second call changes nothing.
enableCompileCache()
const { default: Fastify } = await import('fastify')
const { app, serverOptions } = await import('./app.ts')
const { ConfigError, loadConfig } = await import('./config.ts')
const { openGatewayDeps } = await import('./gateway-deps.ts')
const { effectiveIssuers } = await import('./auth/dev-keys.ts')
const { devTokens, tokenDefaults } = await import('./auth/token-command.ts')
const { systemClock } = await import('./clock.ts')
const { withTls } = await import('./tls/https-options.ts')
const { reloadTls } = await import('./tls/reload.ts')

/**
 * Starts the gateway: read config once, open the store, register the app, listen.
 * SIGINT/SIGTERM: stop accepting, let in-flight requests and deliveries finish, close the store.
 */
async function main (): Promise<void> {
  let config
  let devMode = false
  try {
    config = loadConfig(process.env, process.cwd())
    // NODE_ENV=production without trusted issuers stops here; elsewhere the dev key is made
    devMode = (await effectiveIssuers(config)).devKey !== undefined
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`workwell: configuration error: ${err.message}\n`)
      process.exit(78) // EX_CONFIG
    }
    throw err
  }
  const deps = await openGatewayDeps(config)
  // HTTPS when a certificate is configured (src/tls/)
  const tls = config.tls
  const server = Fastify(withTls(serverOptions(config), tls))
  await server.register(app, deps)
  if (tls !== undefined) {
    // certificate rotation without a restart: new handshakes get the new files, open
    // connections keep theirs; a bad file keeps the current ones and is logged by variable
    process.on('SIGHUP', () => {
      const result = reloadTls(server.server as unknown as TlsServer, tls)
      if (result.ok) server.log.info({ event: 'tls-reloaded' }, 'TLS certificate, key and client CA re-read')
      else server.log.error({ event: 'tls-reload-failed', reason: result.reason }, 'TLS reload failed; the previous certificates stay in use')
    })
  }

  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    server.log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      server.log.error('shutdown timed out; exiting')
      process.exit(1)
    }, config.shutdownTimeoutMs)
    timer.unref()
    server.close()
      .then(async () => { await deps.store.close() })
      .then(() => { server.log.info('stopped'); process.exit(0) })
      .catch((err: unknown) => { server.log.error(errorFields(err), 'shutdown failed'); process.exit(1) })
  }
  process.on('SIGINT', () => { shutdown('SIGINT') })
  process.on('SIGTERM', () => { shutdown('SIGTERM') })

  // Fastify logs one line per listening address; make that the one line saying where we listen.
  await server.listen({
    host: config.host,
    port: config.port,
    listenTextResolver: (address) => `WorkWell Gateway listening on ${address} (FHIR base ${address}/fhir, data in ${config.dataDir})`
  })
  if (devMode) {
    // on stderr, never through the logger: logs must carry no tokens (docs/decisions/request-logging.md)
    const t = await devTokens(config, tokenDefaults(deps.partnerships, 'fixtures'), systemClock.now())
    process.stderr.write([
      'Development tokens (NODE_ENV is unset, development or test, and WORKWELL_AUTH_ISSUERS is unset; signing key in the data folder, valid 12 h):',
      `  referrer (every pilot practice): ${t.referrer}`,
      `  partnership (${tokenDefaults(deps.partnerships, 'fixtures').partnership}): ${t.partnership}`,
      `  operator: ${t.operator}`,
      '  send as "Authorization: Bearer <token>"; more with: npx workwell token --role referrer|partnership|operator [--ods CODE] [--partnership ID]',
      ''
    ].join('\n'))
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`workwell: configuration error: ${err.message}\n`)
    process.exit(78)
  }
  process.stderr.write(`workwell: failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
