import { randomUUID } from 'node:crypto'
import { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { pino, type DestinationStream, type LoggerOptions } from 'pino'
import { systemClock, type Clock } from './clock.ts'
import type { Config } from './config.ts'
import { fhirErrorHandler } from './fhir/error-handler.ts'
import { logRequests } from './request-log.ts'
import { timeOrderedIds } from './time-ordered-id.ts'
import { referenceGenerator } from './reference/referral-reference.ts'
import { parseRequestJson } from './fhir/parse-json.ts'
import { assertAcceptable, FHIR_JSON } from './fhir/media-type.ts'
import { outcomeError } from './fhir/operation-outcome.ts'
import { RouteCatalogue } from './fhir/route-catalogue.ts'
import type { Partnership } from './routing/partnership.ts'
import type { ResolvedRules } from './triage/rules.ts'
import { buildRoutingIndex } from './routing/route-referral.ts'
import type { Store } from './store/store.ts'
import type { ResourceValidator } from './validation/validator.ts'
import type { Mapping } from './mapping/mapping.ts'
import { createConfiguredWorker } from './delivery/from-config.ts'
import { loadEndpointCatalogue, type EndpointCatalogue } from './bars/endpoint-catalogue.ts'
import { adminDeliveryRoutes } from './routes/admin-deliveries.ts'
import { adminAuditRoutes } from './routes/admin-audit.ts'
import { auth } from './auth/auth-plugin.ts'
import { effectiveIssuers } from './auth/dev-keys.ts'
import { createTokenVerifier, loadTrustedIssuers } from './auth/verify-token.ts'
import { cacheVerifiedTokens } from './auth/verified-token-cache.ts'
import { conformanceRoutes } from './routes/conformance.ts'
import type { RouteDeps } from './routes/route-deps.ts'
import { healthRoutes } from './routes/health.ts'
import { countRequests, metricsRoutes } from './routes/metrics.ts'
import { createGatewayMetrics } from './metrics/gateway-metrics.ts'
import { instrumentValidator } from './metrics/instrument.ts'
import { metadataRoutes } from './routes/metadata.ts'
import { readRoutes } from './routes/read.ts'
import { referralRoutes } from './routes/referrals.ts'
import { taskSearchRoutes } from './routes/task-search.ts'
import { serviceRequestSearchRoutes } from './routes/service-request-search.ts'
import { taskUpdateRoutes } from './routes/task-update.ts'
import { validateRoutes } from './routes/validate.ts'
import { messageDefinitionRoutes } from './routes/message-definition.ts'
import { processMessageRoutes } from './routes/process-message.ts'
import { operationsPlugin } from './alerts/operations-plugin.ts'
import { consoleRoutes } from './console/console-routes.ts'
import { consoleAlert, rulesReviews } from './alerts/rules-reviews.ts'
import { readAlerts } from './alerts/read-alerts.ts'
import { answerClientError } from './fhir/client-error.ts'

export interface AppOptions {
  config: Config
  store: Store
  validator: ResourceValidator
  partnerships: Map<string, Partnership>
  /** triage rules per partnership id: the national baseline resolved with each partnership's file */
  triageRules: Map<string, ResolvedRules>
  mappings: Map<string, Mapping>
  clock?: Clock
  newId?: () => string
  /** referral references; each app draws its own generator unless given one (tests) */
  newReference?: () => string
  version: string
  /** the BaRS Endpoint Catalogue; read from WORKWELL_BARS_ENDPOINTS when not given */
  endpoints?: EndpointCatalogue
}

/**
 * Fastify instance options that belong with the app: body limit, logging without personal
 * data, and request ids. server.ts and the tests both build their instance from these.
 */
export function serverOptions (config: Config, destination?: DestinationStream): FastifyServerOptions {
  const logger: LoggerOptions = {
    level: config.logLevel,
    // Referrals are special-category data: log ids, codes and timings only (docs/decisions/request-logging.md).
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    serializers: {
      req: (req: { method: string, url: string, id: string }) => ({ method: req.method, path: req.url.split('?')[0], id: req.id }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode })
    }
  }
  return {
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,
    // the request id is the correlation id: the caller's X-Correlation-Id when it is a safe
    // token, else a new one, so every log line carries it without a child logger per request
    genReqId: (req) => correlationIdOf(req.headers['x-correlation-id']),
    // one line per request, written in onResponse (logRequests): Fastify's own two lines and a
    // route's own summary line each cost a serialisation (intake CPU profile)
    logController: new LogController({ requestIdLogLabel: 'correlationId', disableRequestLogging: true }),
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    requestTimeout: config.security.requestTimeoutMs,
    connectionTimeout: 60_000,
    ...(destination === undefined ? { logger } : { loggerInstance: pino(logger, destination) })
  }
}

async function workwellGateway (app: FastifyInstance, opts: AppOptions): Promise<void> {
  const catalogue = new RouteCatalogue()
  // a registry per app instance, never prom-client's global one: tests run many apps in one process
  const metrics = createGatewayMetrics(opts.store, opts.clock ?? systemClock)
  const store = opts.store
  const validator = instrumentValidator(opts.validator, metrics)
  const routing = buildRoutingIndex(opts.partnerships.values())
  const clock = opts.clock ?? systemClock
  const newId = opts.newId ?? timeOrderedIds()
  const newReference = opts.newReference ?? referenceGenerator()
  const endpoints = opts.endpoints ?? await loadEndpointCatalogue(opts.config.bars.endpointCatalogue)
  const deps: RouteDeps = {
    config: opts.config,
    store,
    validator,
    partnerships: opts.partnerships,
    triageRules: opts.triageRules,
    routing,
    catalogue,
    clock,
    newId,
    newReference,
    version: opts.version,
    // every door (REST, transaction, $triage, BaRS) takes referrals through this one intake
    intake: { store, validator, routing, triageRules: opts.triageRules, clock, newId, newReference, requestIdStaleMs: opts.config.requestIdStaleMs, metrics, duplicates: opts.config.duplicates },
    endpoints,
    metrics
  }

  // each partnership's rule review date: alerts once passed (and triage held after the grace);
  // and its directory entries' check dates: an alert once older than allowed
  const reviews = rulesReviews(opts.triageRules, opts.partnerships, opts.config.directoryCheckMaxDays)

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const m of methods) {
      if (m !== 'HEAD') catalogue.add(m, route.url, route.config?.fhir)
    }
  })

  app.decorateRequest('correlationId', '')
  logRequests(app)
  app.addHook('onRequest', async (request, reply) => {
    request.correlationId = request.id
    reply.header('X-Correlation-Id', request.id)
    const requestId = request.headers['x-request-id']
    if (typeof requestId === 'string' && requestId.length <= 128) reply.header('X-Request-Id', requestId)
    if (request.url.startsWith('/fhir')) {
      const format = (request.query as Record<string, unknown> | undefined)?._format
      assertAcceptable(request.headers.accept, typeof format === 'string' ? format : undefined)
    }
  })

  // FHIR JSON only: shape limits, then parse, then prototype-poisoning refusal (parse-json.ts).
  // FHIR bodies only: Fastify's built-in text/plain parser would hand a string to the routes, which
  // then answer 400 for what is an unsupported media type (RFC 9110 §15.5.16: 415)
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser(['application/json', 'application/fhir+json', 'application/json+fhir'], { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseRequestJson(typeof body === 'string' ? body : body.toString('utf8')))
    } catch (err) {
      done(err as Error, undefined)
    }
  })

  app.setErrorHandler(fhirErrorHandler)
  app.setNotFoundHandler(async (request) => {
    const path = request.url.split('?')[0] ?? ''
    const allowed = catalogue.methodsFor(path)
    if (allowed.length > 0) {
      throw outcomeError(405, 'not-supported', `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, undefined, { Allow: allowed.join(', ') })
    }
    throw outcomeError(404, 'not-found', `No route ${request.method} ${path}`)
  })

  // bearer tokens, roles, isolation, rate limit, overload, security headers and the audit of
  // refused attempts (src/auth/); before the routes, so its hooks run before theirs. Tokens are judged by
  // the wall clock, not the app's (tests move that one to triage on other days).
  const { issuers } = await effectiveIssuers(opts.config)
  const { audience, clockSkewSeconds, tokenCacheSeconds } = opts.config.security
  const now = (): Date => systemClock.now()
  const verify = cacheVerifiedTokens(createTokenVerifier(await loadTrustedIssuers(issuers), { audience, clockSkewSeconds, now }),
    { now, clockSkewSeconds, maxEntries: tokenCacheSeconds === 0 ? 0 : 10_000, maxAgeMs: tokenCacheSeconds * 1000 })
  await app.register(auth, { security: opts.config.security, verify, store, clock: deps.clock, newId: deps.newId, proxySubjects: opts.config.tls?.proxySubjects ?? [] })

  countRequests(app, metrics)
  await app.register(healthRoutes, deps)
  await app.register(metricsRoutes, metrics)
  await app.register(metadataRoutes, deps)
  await app.register(referralRoutes, deps)
  await app.register(readRoutes, deps)
  await app.register(conformanceRoutes, deps)
  await app.register(taskSearchRoutes, deps)
  await app.register(serviceRequestSearchRoutes, deps)
  await app.register(taskUpdateRoutes, deps)
  await app.register(validateRoutes, deps)
  await app.register(adminDeliveryRoutes, deps)
  await app.register(adminAuditRoutes, { audit: store, baseUrl: deps.config.baseUrl, clock: deps.clock, newId: deps.newId })
  await app.register(processMessageRoutes, deps)
  await app.register(messageDefinitionRoutes, deps)
  // delivery alerts (metric, GET /admin/alerts, log lines) and the scheduled prune
  await app.register(operationsPlugin, { config: opts.config, store, clock: deps.clock, registry: metrics.registry, reviews })
  // the console's operator home shows the same alerts as GET /admin/alerts
  const alertSource = { store, clock: deps.clock, thresholds: opts.config.alerts, reviews }
  await app.register(consoleRoutes, { ...deps, alerts: async () => (await readAlerts(alertSource)).map(consoleAlert) })

  if (opts.config.delivery.enabled) {
    const worker = createConfiguredWorker({ ...opts, store, metrics, clock: deps.clock, endpoints, logger: app.log.child({ component: 'delivery' }) })
    app.addHook('onReady', async () => { worker.start() })
    app.addHook('onClose', async () => { await worker.stop() })
  }
  app.log.debug({ contentType: FHIR_JSON }, 'workwell gateway registered')
}

const CORRELATION_ID = /^[A-Za-z0-9\-_.:]{1,128}$/

function correlationIdOf (given: string | string[] | undefined): string {
  return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID()
}

/** The gateway as one Fastify plugin; server.ts only listens. */
export const app = fp(workwellGateway, { name: 'workwell-gateway', fastify: '5.x' })
