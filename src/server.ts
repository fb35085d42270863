import { enableCompileCache } from 'node:module'

// Keep the compiled (type-stripped) modules between starts, in the OS temp folder: loading
// them is about half of start-to-ready (issue 7 asks < 1 s). It must be on before they load,
// so they are imported here rather than by hoisted static imports.
enableCompileCache()
const { default: Fastify } = await import('fastify')
const { app, serverOptions } = await import('./app.ts')
const { ConfigError, loadConfig } = await import('./config.ts')
const { openGatewayDeps } = await import('./gateway-deps.ts')

/**
 * Starts the gateway: read config once, open the store, register the app, listen.
 * SIGINT/SIGTERM: stop accepting, let in-flight requests and deliveries finish, close the store.
 */
async function main (): Promise<void> {
  let config
  try {
    config = loadConfig(process.env, process.cwd())
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`workwell: configuration error: ${err.message}\n`)
      process.exit(78) // EX_CONFIG
    }
    throw err
  }
  const deps = await openGatewayDeps(config)
  const server = Fastify(serverOptions(config))
  await server.register(app, deps)

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
      .catch((err: unknown) => { server.log.error({ err }, 'shutdown failed'); process.exit(1) })
  }
  process.on('SIGINT', () => { shutdown('SIGINT') })
  process.on('SIGTERM', () => { shutdown('SIGTERM') })

  // Fastify logs one line per listening address; make that the one line saying where we listen.
  await server.listen({
    host: config.host,
    port: config.port,
    listenTextResolver: (address) => `WorkWell Gateway listening on ${address} (FHIR base ${address}/fhir, data in ${config.dataDir})`
  })
}

main().catch((err: unknown) => {
  process.stderr.write(`workwell: failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
