import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { OperationOutcomeError } from '../fhir/operation-outcome.ts'
import { outcomeError } from '../fhir/operation-outcome.ts'
import { auditRecord } from '../audit/audit-record.ts'
import type { AuditRecord, AuditStore } from '../store/audit-store.ts'
import type { SecurityConfig } from './auth-config.ts'
import { hasAnyRole, mayReferFor, requesterOdsOfBody, unmatchedAccess } from './access-policy.ts'
import { ROLE_SCOPES, type Principal, type Role } from './principal.ts'
import { attemptAgent } from './request-agent.ts'
import { proxyCaller, proxyNotAllowed, proxySubjectOf, proxyWithToken } from './proxy-identity.ts'
import { securityHeaders } from './security-headers.ts'
import type { TokenVerifier } from './verify-token.ts'
import { isFhirId } from '../fhir/request-schema.ts'

export interface AuthPluginOptions {
  security: SecurityConfig
  verify: TokenVerifier
  /** where refused attempts are recorded */
  store: Pick<AuditStore, 'appendAudit'>
  /** when refused attempts are recorded, and their audit ids */
  clock: { now(): Date }
  newId: () => string
  /** subjects of trusted BaRS proxies (WORKWELL_BARS_PROXY_SUBJECTS); none: every caller needs a token */
  proxySubjects?: readonly string[]
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the body is a referral: its requester ODS codes must be the caller's own */
    referralBody?: boolean
  }
  interface FastifyRequest {
    /** the authenticated caller; null on open routes */
    principal: Principal | null
  }
}

const REALM = 'workwell'
/** RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i

/** error_description is a quoted-string (RFC 6750 §3): no quotes or backslashes inside. */
function quoted (text: string): string {
  return text.replace(/["\\]/g, "'")
}

/**
 * 401 with the challenge RFC 6750 §3 asks for. A request without credentials gets the bare
 * challenge (§3.1: no error code); a refused token gets error="invalid_token".
 */
export function unauthorized (reason?: string): OperationOutcomeError {
  const challenge = reason === undefined
    ? `Bearer realm="${REALM}"`
    : `Bearer realm="${REALM}", error="invalid_token", error_description="${quoted(reason)}"`
  return outcomeError(401, 'login', reason === undefined ? 'This request needs a bearer token (Authorization: Bearer <JWT>)' : `The bearer token was refused: ${reason}`, 'Authorization', { 'WWW-Authenticate': challenge })
}

/** 403 for a valid token without the role the route needs (RFC 6750 §3.1 insufficient_scope). */
export function forbidden (diagnostics: string, scopes: readonly string[], expression = 'Authorization'): OperationOutcomeError {
  const scope = scopes.length === 0 ? '' : `, scope="${scopes.join(' ')}"`
  return outcomeError(403, 'forbidden', diagnostics, expression, { 'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope"${scope}` })
}

function pathOf (request: FastifyRequest): string {
  return request.url.split('?')[0] ?? ''
}

const ACTIONS: Readonly<Record<string, AuditRecord['action']>> = { GET: 'R', HEAD: 'R', POST: 'C', PUT: 'U', PATCH: 'U', DELETE: 'D' }
const INSTANCE_URL = /^\/fhir\/([A-Za-z]+)\/:id$/

/** What a refused request asked for: the resource when the route names one, else the route pattern. */
function requestedEntity (request: FastifyRequest): string {
  const url = request.routeOptions.url
  const type = url === undefined ? undefined : INSTANCE_URL.exec(url)?.[1]
  const id = (request.params as { id?: unknown } | undefined)?.id
  if (type !== undefined && typeof id === 'string' && isFhirId(id)) return `${type}/${id}`
  return url ?? 'unknown route'
}

async function authPlugin (app: FastifyInstance, opts: AuthPluginOptions): Promise<void> {
  const { security, verify, store } = opts
  /** refusals decided by authentication, thrown once the rate limit has counted the request */
  const refusals = new WeakMap<FastifyRequest, OperationOutcomeError>()

  /** Marks the request as a refused access attempt (for the audit trail) and gives the error. */
  function refuse (request: FastifyRequest, err: OperationOutcomeError, entity = requestedEntity(request)): OperationOutcomeError {
    request.accessRefused = entity
    return err
  }

  app.decorateRequest('principal', null)
  app.decorateRequest('accessRefused', null)
  app.decorateRequest('proxyIdentity', null)
  app.addHook('onSend', async (request, reply, payload) => {
    securityHeaders(reply, pathOf(request), security.production)
    // recorded after the answer, never on its path: a refusal must not take longer than the
    // answer for something that does not exist (timing would tell the two apart)
    if (request.accessRefused !== null && [401, 403, 404].includes(reply.statusCode)) recordRefusal(request).catch(() => undefined)
    return payload
  })

  /**
   * One audit row per refused attempt (DSPT / BaRS NFRs: audit all access attempts, not only
   * the granted ones). Outcome '4' minor failure: R4 ValueSet audit-event-outcome gives it for
   * an action that failed "often equivalent to an HTTP 400 response"; '8' is for unexpected
   * errors (HTTP 500). A failing audit write is logged and never changes the answer.
   */
  async function recordRefusal (request: FastifyRequest): Promise<void> {
    const entity = request.accessRefused ?? ''
    request.accessRefused = null
    try {
      await store.appendAudit(auditRecord(opts.newId(), opts.clock.now(), {
        action: ACTIONS[request.method] ?? 'E',
        subtype: 'access-refused',
        outcome: '4',
        agent: attemptAgent(request),
        entity,
        correlationId: request.correlationId
      }))
    } catch (err) {
      request.log.error({ errName: err instanceof Error ? err.name : typeof err }, 'refused-access audit failed')
    }
  }

  if (security.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: security.maxEventLoopDelayMs,
      // liveness must answer while the process lives, or a busy instance is killed for being busy
      pressureHandler: (request) => {
        if (pathOf(request) === '/health/live') return
        throw outcomeError(503, 'transient', 'The gateway is overloaded; retry after a short wait', undefined, { 'Retry-After': '5' })
      }
    })
  }

  // every route says who may call it (config.access); one that does not is a build error
  app.addHook('onRoute', (route) => {
    if (route.config?.access === undefined) throw new Error(`route ${String(route.method)} ${route.url} declares no access (config.access)`)
  })

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.url === undefined ? unmatchedAccess(pathOf(request)) : request.routeOptions.config.access ?? { roles: [] }
    if (access === 'public') return
    // a connection from a trusted BaRS proxy is authenticated by its verified certificate and
    // the NHSD headers, never by a token as well; any other connection by its token alone
    // (NHSD headers there are claims for the audit trail, never identity)
    const proxy = proxySubjectOf(request.raw.socket, opts.proxySubjects ?? [])
    if (proxy !== undefined) {
      authenticateProxy(request, proxy, access.roles)
      return
    }
    // a refusal waits until the rate limit (the next hook) has counted the request: a flood of
    // bad tokens must be throttled too, keyed by address as it has no verified client
    const header = request.headers.authorization
    if (header === undefined || !/^bearer\b/i.test(header)) {
      refusals.set(request, refuse(request, unauthorized()))
      return
    }
    const token = BEARER.exec(header)?.[1]
    if (token === undefined) {
      refusals.set(request, refuse(request, unauthorized('the Authorization header is not "Bearer" and one token')))
      return
    }
    const verdict = await verify(token)
    if (!verdict.ok) {
      refusals.set(request, refuse(request, unauthorized(verdict.reason)))
      return
    }
    const p = verdict.principal
    request.principal = p
    if (!hasAnyRole(p, access.roles)) {
      refusals.set(request, refuse(request, forbidden(access.roles.length === 0
        ? `${request.method} ${pathOf(request)} is not open to any client`
        : `${request.method} ${pathOf(request)} needs the ${access.roles.join(' or ')} role`, access.roles.map((r) => ROLE_SCOPES[r]))))
    }
  })

  function authenticateProxy (request: FastifyRequest, proxy: string, wanted: readonly Role[]): void {
    if (request.headers.authorization !== undefined) {
      refusals.set(request, refuse(request, proxyWithToken()))
      return
    }
    let caller
    try {
      caller = proxyCaller(proxy, request.headers)
    } catch (err) {
      refusals.set(request, refuse(request, err as OperationOutcomeError))
      return
    }
    request.principal = caller.principal
    request.proxyIdentity = caller.identity
    if (!hasAnyRole(caller.principal, wanted)) refusals.set(request, refuse(request, proxyNotAllowed(request.method, pathOf(request))))
  }

  if (security.rateLimitMax > 0) {
    // an app-wide onRequest hook rather than per route: it must run between authentication
    // (which names the key) and the refusal, and before any route's own onRequest hooks
    await app.register(rateLimit, {
      global: false,
      max: security.rateLimitMax,
      timeWindow: security.rateLimitWindowMs,
      // per client when the token named one, else per address (authentication runs first)
      keyGenerator: (request) => request.principal === null ? `ip:${request.ip}` : `client:${request.principal.issuer} ${request.principal.clientId}`,
      allowList: (request) => pathOf(request).startsWith('/health/'),
      errorResponseBuilder: (_request, ctx) => outcomeError(429, 'throttled', `Too many requests: at most ${ctx.max} per ${Math.round(ctx.ttl / 1000)} s for this client; retry after ${ctx.after}`, undefined, { 'Retry-After': String(Math.max(1, Math.ceil(ctx.ttl / 1000))) })
    })
    app.addHook('onRequest', app.rateLimit())
  }

  app.addHook('onRequest', async (request) => {
    const refusal = refusals.get(request)
    if (refusal !== undefined) throw refusal
  })

  app.addHook('preHandler', async (request) => {
    const p = request.principal
    if (p === null || request.routeOptions.config.referralBody !== true) return
    // a referrer refers for its own practices only (the requester's ODS code); a referral that
    // names none is refused by the intake after validation, with the element's path
    for (const ods of requesterOdsOfBody(request.body)) {
      if (ods !== null && !mayReferFor(p, ods)) throw refuse(request, forbidden(`This client may not refer for ODS code ${ods}`, [], 'ServiceRequest.requester'))
    }
  })
}

/**
 * Authentication, roles, isolation and abuse limits for every route (docs/threat-model.md). Register it
 * before the routes: its hooks must run before theirs.
 */
export const auth = fp(authPlugin, { name: 'workwell-auth', fastify: '5.x' })
