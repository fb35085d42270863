import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Bundle, ServiceRequest, Task } from '@medplum/fhirtypes'
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { OperationOutcomeError } from '../fhir/operation-outcome.ts'
import { outcomeError } from '../fhir/operation-outcome.ts'
import type { AuditSearch } from '../audit/audit-event.ts'
import { auditRecord } from '../audit/audit-record.ts'
import type { AuditRecord, Store } from '../store/store.ts'
import type { SecurityConfig } from './auth-config.ts'
import { referralIdFor } from '../bars/envelope.ts'
import { hasAnyRole, mayReadServiceRequest, mayReadTask, mayReferFor, odsCodeOf, ownerOf, requesterOdsOfBody, routeAccess, SUPPORTING_TYPES, taskSearchScope } from './access-policy.ts'
import { ROLE_SCOPES, type Principal } from './principal.ts'
import { attemptAgent } from './request-agent.ts'
import { securityHeaders } from './security-headers.ts'
import type { TokenVerifier } from './verify-token.ts'

export interface AuthPluginOptions {
  security: SecurityConfig
  verify: TokenVerifier
  /** reads for the isolation checks (a Task's owner, a referral's Tasks, what a request created together) */
  store: Pick<Store, 'readResource' | 'searchTasks' | 'appendAudit'> & AuditSearch
  /** when refused attempts are recorded, and their audit ids */
  clock: { now(): Date }
  newId: () => string
  /** every partnership id: a caller bound to all of them sees every Task by ownership */
  partnershipIds: readonly string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    /** the authenticated caller; null on open routes */
    principal: Principal | null
  }
}

const REALM = 'workwell'
const ID = /^[A-Za-z0-9\-.]{1,64}$/
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

/** The same 404 the read and update routes give for an unknown id: existence must not leak. */
function notFound (type: string, id: string): OperationOutcomeError {
  return outcomeError(404, 'not-found', `${type}/${id} is not known`, `${type}.id`)
}

function pathOf (request: FastifyRequest): string {
  return request.url.split('?')[0] ?? ''
}

const READ_URL = /^\/fhir\/(ServiceRequest|Task|Patient|Observation|Condition|Consent)\/:id$/
const INSTANCE_URL = /^\/fhir\/([A-Za-z]+)\/:id$/
const ACTIONS: Readonly<Record<string, AuditRecord['action']>> = { GET: 'R', HEAD: 'R', POST: 'C', PUT: 'U', PATCH: 'U', DELETE: 'D' }

/** What a refused request asked for: the resource when the route names one, else the route pattern. */
function requestedEntity (request: FastifyRequest): string {
  const url = request.routeOptions.url
  const type = url === undefined ? undefined : INSTANCE_URL.exec(url)?.[1]
  const id = (request.params as { id?: unknown } | undefined)?.id
  if (type !== undefined && typeof id === 'string' && ID.test(id)) return `${type}/${id}`
  return url ?? 'unknown route'
}
const REFERRAL_POSTS = new Set(['/fhir', '/fhir/ServiceRequest', '/fhir/ServiceRequest/$triage', '/fhir/$process-message'])

async function authPlugin (app: FastifyInstance, opts: AuthPluginOptions): Promise<void> {
  const { security, verify, store } = opts
  const allPartnerships = new Set(opts.partnershipIds)
  /** search requests whose results must be filtered Task by Task (set in preHandler, read in preSerialization) */
  const filtered = new WeakSet<FastifyRequest>()
  /** refusals decided by authentication, thrown once the rate limit has counted the request */
  const refusals = new WeakMap<FastifyRequest, OperationOutcomeError>()

  /** Marks the request as a refused access attempt (for the audit trail) and gives the error. */
  function refuse (request: FastifyRequest, err: OperationOutcomeError, entity = requestedEntity(request)): OperationOutcomeError {
    request.accessRefused = entity
    return err
  }

  app.decorateRequest('principal', null)
  app.decorateRequest('accessRefused', null)
  app.addHook('onSend', async (request, reply, payload) => {
    securityHeaders(reply, pathOf(request), security.production)
    if (request.accessRefused !== null && [401, 403, 404].includes(reply.statusCode)) await recordRefusal(request)
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

  app.addHook('onRequest', async (request) => {
    const access = routeAccess(request.method, request.routeOptions.url, pathOf(request))
    if (access.kind === 'open') return
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

  app.addHook('preHandler', async (request, reply) => {
    const p = request.principal
    const url = request.routeOptions.url
    if (p === null || url === undefined) return
    const method = request.method
    if (method === 'POST' && REFERRAL_POSTS.has(url)) {
      // a referrer refers for its own practices only (domain.md §2.1: the requester's ODS code)
      for (const ods of requesterOdsOfBody(request.body)) {
        if (!mayReferFor(p, ods)) throw refuse(request, forbidden(`This client may not refer for ODS code ${ods}`, [], 'ServiceRequest.requester'))
      }
      if (url === '/fhir/$process-message') await guardMessage(request, p, request.body)
      return
    }
    const read = READ_URL.exec(url)
    if ((method === 'GET' || method === 'HEAD') && read?.[1] !== undefined) {
      const type = read[1]
      const id = (request.params as { id?: string }).id ?? ''
      if (!ID.test(id)) return
      await guardRead(request, p, type, id)
      return
    }
    if ((method === 'GET' || method === 'HEAD') && url === '/fhir/Task') {
      await narrowSearch(request, reply, p)
    }
  })

  /**
   * A BaRS message about a referral already stored (a repeat, an update, a cancellation) acts
   * on the referral its sender endpoint and Bundle.id name (bars/envelope.ts referralIdFor).
   * A cancellation carries no requester of its own, so the stored referral's decides: another
   * referrer's is as unknown as a missing one.
   */
  async function guardMessage (request: FastifyRequest, p: Principal, body: unknown): Promise<void> {
    const b = body as { id?: unknown, entry?: Array<{ resource?: { source?: { endpoint?: unknown } } }> } | null
    const endpoint = Array.isArray(b?.entry) ? b.entry[0]?.resource?.source?.endpoint : undefined
    if (typeof b?.id !== 'string' || typeof endpoint !== 'string') return // the route refuses the message
    const srId = referralIdFor(endpoint, b.id)
    const stored = await store.readResource('ServiceRequest', srId)
    if (stored !== undefined && !mayReferFor(p, odsCodeOf((stored.resource as ServiceRequest).requester))) throw refuse(request, notFound('ServiceRequest', srId), `ServiceRequest/${srId}`)
  }

  /** Reads are decided before the route runs, so a refused read leaves no 200, 304 or "read" audit. */
  async function guardRead (request: FastifyRequest, p: Principal, type: string, id: string): Promise<void> {
    const stored = await store.readResource(type, id)
    if (stored === undefined) return // the route answers 404
    if (type === 'Task') {
      if (!mayReadTask(p, stored.resource as Task)) throw refuse(request, notFound(type, id))
      return
    }
    const srId = type === 'ServiceRequest' ? id : await referralOf(type, id)
    const sr = srId === undefined ? undefined : srId === id ? stored : await store.readResource('ServiceRequest', srId)
    if (srId === undefined || sr === undefined || !await mayReadReferral(p, srId, sr.resource as ServiceRequest)) throw refuse(request, notFound(type, id))
  }

  async function mayReadReferral (p: Principal, srId: string, sr: ServiceRequest): Promise<boolean> {
    const owners = (await store.searchTasks({ basedOn: `ServiceRequest/${srId}`, count: 10, offset: 0 })).tasks
      .map((t) => ownerOf(t.resource as Task))
      .filter((o): o is string => o !== undefined)
    return mayReadServiceRequest(p, sr, owners)
  }

  /**
   * The referral a Patient, Observation, Condition or Consent came with. The store keeps no
   * link from them to it, but the audit trail does: one request created them all, in one
   * transaction, so their create records share the correlation id, the instant and the agent.
   * Anything but exactly one ServiceRequest among them is no proof, and is refused.
   */
  async function referralOf (type: string, id: string): Promise<string | undefined> {
    if (!(SUPPORTING_TYPES as readonly string[]).includes(type)) return undefined
    const created = (await store.searchAudit({ entity: `${type}/${id}`, limit: 10 })).filter((a) => a.action === 'C')
    const c = created.length === 1 ? created[0] : undefined
    if (c?.correlationId === undefined) return undefined
    const together = (await store.searchAudit({ correlationId: c.correlationId, recorded: c.recorded, limit: 200 }))
      .filter((a) => a.action === 'C' && a.agent === c.agent && a.entity.startsWith('ServiceRequest/'))
    return together.length === 1 ? together[0]?.entity.slice('ServiceRequest/'.length) : undefined
  }

  /** Narrows a Task search to the caller's Tasks: in the query when it can, else result by result. */
  async function narrowSearch (request: FastifyRequest, reply: FastifyReply, p: Principal): Promise<void> {
    if (p.roles.has('partnership') && p.partnerships.length > 0 && [...allPartnerships].every((id) => p.partnerships.includes(id))) return
    const query = request.query as Record<string, unknown>
    const rawOwner = query.owner
    const asked = typeof rawOwner === 'string' ? /^(?:Organization\/)?([a-z0-9-]+)$/.exec(rawOwner)?.[1] : undefined
    if (rawOwner !== undefined && asked === undefined) return // the route answers 400
    const scope = taskSearchScope(p, asked)
    switch (scope.kind) {
      case 'owner':
        query.owner = `Organization/${scope.owner}`
        return
      case 'filter':
        filtered.add(request)
        return
      case 'none': {
        const empty: Bundle = { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] }
        await reply.type('application/fhir+json').send(empty)
      }
    }
  }

  // A filtered page keeps its paging links but loses its total: counting the Tasks a caller may
  // not see would tell it they exist.
  app.addHook('preSerialization', async (request, _reply, payload: unknown) => {
    const p = request.principal
    if (p === null || !filtered.has(request)) return payload
    const bundle = payload as Bundle
    if (bundle?.resourceType !== 'Bundle') return payload
    const entry = (bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'Task' && mayReadTask(p, e.resource))
    const { total: _total, ...rest } = bundle
    return { ...rest, entry }
  })
}

/**
 * Authentication, roles, isolation and abuse limits for every route (issue 6). Register it
 * before the routes: its hooks must run before theirs.
 */
export const auth = fp(authPlugin, { name: 'workwell-auth', fastify: '5.x' })
