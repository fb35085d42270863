import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import type { Bundle, ServiceRequest, Task } from '@medplum/fhirtypes'
import { auth } from '../../../src/auth/auth-plugin.ts'
import { mayChangeTask } from '../../../src/auth/request-agent.ts'
import { referralIdFor } from '../../../src/bars/envelope.ts'
import type { SecurityConfig } from '../../../src/auth/auth-config.ts'
import { createTokenVerifier, loadTrustedIssuers, type TokenVerifier } from '../../../src/auth/verify-token.ts'
import { fhirErrorHandler } from '../../../src/fhir/error-handler.ts'
import { outcomeError } from '../../../src/fhir/operation-outcome.ts'
import type { AuditRecord, StoredResource, TaskQuery } from '../../../src/store/store.ts'
import type { AuditQuery } from '../../../src/audit/audit-event.ts'
import { createTestIssuer, roleClaims, type TestIssuer } from '../../helpers/tokens.ts'

const AUDIENCE = 'https://gateway.test/fhir'
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'

const SECURITY: SecurityConfig = {
  production: false,
  issuers: [],
  audience: AUDIENCE,
  clockSkewSeconds: 30,
  tokenCacheSeconds: 0,
  rateLimitMax: 0,
  rateLimitWindowMs: 60_000,
  maxEventLoopDelayMs: 0,
  requestTimeoutMs: 30_000
}

function stored (resource: Task | ServiceRequest): StoredResource {
  return { resourceType: resource.resourceType, id: resource.id ?? '', versionId: '1', lastUpdated: '2026-06-01T12:00:00.000Z', resource }
}
const task = (id: string, owner: string, requester: string): Task => ({
  resourceType: 'Task',
  id,
  status: 'requested',
  intent: 'order',
  basedOn: [{ reference: `ServiceRequest/sr-${id}` }],
  owner: { reference: `Organization/${owner}` },
  requester: { identifier: { system: ODS, value: requester } }
})
const sr = (id: string, requester: string): ServiceRequest => ({ resourceType: 'ServiceRequest', id, status: 'active', intent: 'order', subject: {}, requester: { identifier: { system: ODS, value: requester } } })

/** Two partnerships, two practices: leeds owns t1 (from A81001), york owns t2 (from B82002). */
const patient = (id: string): StoredResource => ({ resourceType: 'Patient', id, versionId: '1', lastUpdated: '2026-06-01T12:00:00.000Z', resource: { resourceType: 'Patient', id } })
/** the referral a BaRS sender at urn:gp-b stored as message bundle m-1 (from B82002) */
const BARS_SR = referralIdFor('urn:gp-b|1', 'm-1')
const RESOURCES = [...[task('t1', 'leeds', 'A81001'), task('t2', 'york', 'B82002'), sr('sr-t1', 'A81001'), sr('sr-t2', 'B82002'), sr(BARS_SR, 'B82002')].map(stored), patient('p1'), patient('p2'), patient('p3')]

/** p1 came with sr-t1 (one request: same correlation id, instant and agent); p2 was created alone; p3 with two referrals. */
const AUDIT: AuditRecord[] = [
  { id: 'a1', recorded: 'T1', action: 'C', subtype: 'create', outcome: '0', agent: 'gp', entity: 'ServiceRequest/sr-t1', correlationId: 'c1' },
  { id: 'a2', recorded: 'T1', action: 'C', subtype: 'create', outcome: '0', agent: 'gp', entity: 'Patient/p1', correlationId: 'c1' },
  { id: 'a3', recorded: 'T1', action: 'C', subtype: 'create', outcome: '0', agent: 'other', entity: 'ServiceRequest/sr-t2', correlationId: 'c1' },
  { id: 'a4', recorded: 'T2', action: 'C', subtype: 'create', outcome: '0', agent: 'gp', entity: 'Patient/p2', correlationId: 'c2' },
  { id: 'a5', recorded: 'T3', action: 'C', subtype: 'create', outcome: '0', agent: 'gp', entity: 'Patient/p3', correlationId: 'c3' },
  { id: 'a6', recorded: 'T3', action: 'C', subtype: 'create', outcome: '0', agent: 'gp', entity: 'ServiceRequest/sr-t1', correlationId: 'c3' },
  { id: 'a7', recorded: 'T3', action: 'C', subtype: 'create', outcome: '0', agent: 'gp', entity: 'ServiceRequest/sr-t2', correlationId: 'c3' }
]

const refusedAudit: AuditRecord[] = []
const store = {
  appendAudit: async (r: AuditRecord) => { refusedAudit.push(r) },
  searchAudit: async (q: AuditQuery) => AUDIT.filter((a) => (q.entity === undefined || a.entity === q.entity) && (q.correlationId === undefined || a.correlationId === q.correlationId) && (q.recorded === undefined || a.recorded === q.recorded)).slice(0, q.limit),
  readResource: async (type: string, id: string) => RESOURCES.find((r) => r.resourceType === type && r.id === id),
  searchTasks: async (q: TaskQuery) => {
    const tasks = RESOURCES.filter((r) => r.resourceType === 'Task' &&
      (q.owner === undefined || (r.resource as Task).owner?.reference === `Organization/${q.owner}`) &&
      (q.basedOn === undefined || (r.resource as Task).basedOn?.[0]?.reference === q.basedOn))
    return { total: tasks.length, tasks }
  }
}

let dir: string
let issuer: TestIssuer
let verify: TokenVerifier
const writes: string[] = []

async function build (security: Partial<SecurityConfig> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  app.setErrorHandler(fhirErrorHandler)
  await app.register(auth, { security: { ...SECURITY, ...security }, verify, store, clock: { now: () => new Date() }, newId: () => `a${refusedAudit.length}`, partnershipIds: ['leeds', 'york'] })
  app.setNotFoundHandler(async (request) => { throw outcomeError(404, 'not-found', `No route ${request.method} ${request.url}`) })
  app.get('/fhir/metadata', async () => ({ resourceType: 'CapabilityStatement' }))
  app.get('/health/live', async () => ({ status: 'live' }))
  for (const type of ['Task', 'ServiceRequest', 'Patient']) {
    app.get<{ Params: { id: string } }>(`/fhir/${type}/:id`, async (request, reply) => {
      const s = await store.readResource(type, request.params.id)
      if (s === undefined) throw outcomeError(404, 'not-found', `${type}/${request.params.id} is not known`, `${type}.id`)
      await reply.header('ETag', 'W/"1"').send(s.resource)
    })
  }
  app.get('/fhir/Task', async (request) => {
    const owner = (request.query as { owner?: string }).owner?.replace('Organization/', '')
    const r = await store.searchTasks({ ...(owner === undefined ? {} : { owner }), count: 20, offset: 0 })
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total: r.total, entry: r.tasks.map((t) => ({ resource: t.resource })) }
    return bundle
  })
  app.put<{ Params: { id: string } }>('/fhir/Task/:id', async (request) => {
    // as task-update.ts does: one read, then the owner check, then the write
    const s = await store.readResource('Task', request.params.id)
    if (s === undefined || !mayChangeTask(request, s.resource as Task)) throw outcomeError(404, 'not-found', `Task/${request.params.id} is not known`, 'Task.id')
    writes.push(request.params.id)
    return { ok: true }
  })
  app.delete('/fhir/Task/:id', async () => ({ deleted: true }))
  app.post('/fhir/ServiceRequest', async () => ({ created: true }))
  app.post('/fhir/$process-message', async () => ({ processed: true }))
  app.get('/admin/deliveries', async () => ({ deliveries: [] }))
  await app.ready()
  return app
}

let app: FastifyInstance
let tokens: Record<string, string>

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'workwell-auth-plugin-'))
  issuer = await createTestIssuer({ audience: AUDIENCE, alg: 'ES256' })
  verify = createTokenVerifier(await loadTrustedIssuers([{ issuer: issuer.issuer, jwks: { kind: 'file', path: issuer.writeJwks(dir) } }]), { audience: AUDIENCE, clockSkewSeconds: 30, now: () => new Date() })
  tokens = {
    leeds: await issuer.sign(roleClaims({ roles: ['partnership'], partnership: ['leeds'] })),
    both: await issuer.sign(roleClaims({ roles: ['partnership'], partnership: ['leeds', 'york'] })),
    york2: await issuer.sign(roleClaims({ roles: ['partnership'], partnership: ['york', 'hull'] })),
    a81001: await issuer.sign(roleClaims({ roles: ['referrer'], ods: ['A81001'] })),
    operator: await issuer.sign(roleClaims({ roles: ['operator'] }))
  }
  app = await build()
})

afterAll(async () => {
  await app.close()
  rmSync(dir, { recursive: true, force: true })
})

async function get (url: string, token?: string, method: 'GET' | 'PUT' | 'POST' | 'DELETE' = 'GET', payload?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) })
  })
}

describe('authentication', () => {
  it('answers 401 with a bare Bearer challenge when there is no token', async () => {
    const res = await get('/fhir/Task/t1')
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="workwell"')
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', expression: ['Authorization'] }] })
  })

  it('answers 401 invalid_token for a refused token, and for another scheme', async () => {
    const expired = await issuer.sign(roleClaims({ roles: ['operator'] }), { now: new Date(Date.now() - 3_600_000) })
    const res = await get('/admin/deliveries', expired)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="workwell", error="invalid_token", error_description="the token has expired"')
    expect(res.json().issue[0].code).toBe('login')
    const basic = await app.inject({ url: '/admin/deliveries', headers: { authorization: 'Basic dXNlcjpwYXNz' } })
    expect(basic.statusCode).toBe(401)
    expect(basic.headers['www-authenticate']).toBe('Bearer realm="workwell"')
    const two = await app.inject({ url: '/admin/deliveries', headers: { authorization: `Bearer ${tokens.operator ?? ''} extra` } })
    expect(two.statusCode).toBe(401)
    expect(two.headers['www-authenticate']).toMatch(/error="invalid_token"/)
  })

  it('leaves the capability statement and health open, and ignores a bad token there', async () => {
    expect((await get('/fhir/metadata')).statusCode).toBe(200)
    expect((await get('/health/live', 'garbage')).statusCode).toBe(200)
  })

  it('asks for a token on unknown /fhir paths, and gives 404 with one', async () => {
    expect((await get('/fhir/Nothing/1')).statusCode).toBe(401)
    expect((await get('/fhir/Nothing/1', tokens.operator)).statusCode).toBe(404)
  })
})

describe('roles', () => {
  it('answers 403 insufficient_scope for a valid token without the route\'s role', async () => {
    const res = await get('/admin/deliveries', tokens.a81001)
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="workwell", error="insufficient_scope", scope="workwell/operator"')
    expect(res.json().issue[0]).toMatchObject({ code: 'forbidden' })
    expect((await get('/admin/deliveries', tokens.operator)).statusCode).toBe(200)
    expect((await get('/fhir/Task/t1', tokens.operator)).statusCode).toBe(403)
    expect((await get('/fhir/ServiceRequest', tokens.leeds, 'POST', sr('x', 'A81001'))).statusCode).toBe(403)
  })

  it('refuses a route the policy does not list to every role', async () => {
    const res = await get('/fhir/Task/t1', tokens.leeds, 'DELETE')
    expect(res.statusCode).toBe(403)
  })
})

describe('isolation', () => {
  it('shows a partnership its own Task and answers 404 for another\'s, exactly as for an unknown id', async () => {
    expect((await get('/fhir/Task/t1', tokens.leeds)).statusCode).toBe(200)
    const other = await get('/fhir/Task/t2', tokens.leeds)
    const unknown = await get('/fhir/Task/t9', tokens.leeds)
    expect(other.statusCode).toBe(404)
    expect(other.body.replace('t2', 'ID')).toBe(unknown.body.replace('t9', 'ID'))
    expect(other.headers.etag).toBeUndefined()
  })

  it('shows a referrer its own referrals and Tasks only', async () => {
    expect((await get('/fhir/ServiceRequest/sr-t1', tokens.a81001)).statusCode).toBe(200)
    expect((await get('/fhir/Task/t1', tokens.a81001)).statusCode).toBe(200)
    expect((await get('/fhir/ServiceRequest/sr-t2', tokens.a81001)).statusCode).toBe(404)
    expect((await get('/fhir/Task/t2', tokens.a81001)).statusCode).toBe(404)
  })

  it('shows a partnership the referrals of its own Tasks only', async () => {
    expect((await get('/fhir/ServiceRequest/sr-t1', tokens.leeds)).statusCode).toBe(200)
    expect((await get('/fhir/ServiceRequest/sr-t2', tokens.leeds)).statusCode).toBe(404)
  })

  it('serves a supporting resource to whoever may see the referral it came with, and only when that is certain', async () => {
    expect((await get('/fhir/Patient/p1', tokens.a81001)).statusCode).toBe(200)
    expect((await get('/fhir/Patient/p1', tokens.leeds)).statusCode).toBe(200)
    expect((await get('/fhir/Patient/p1', tokens.york2)).statusCode).toBe(404)
    // created alone (no referral alongside), or alongside two: no proof of whose it is
    expect((await get('/fhir/Patient/p2', tokens.a81001)).statusCode).toBe(404)
    expect((await get('/fhir/Patient/p3', tokens.a81001)).statusCode).toBe(404)
    expect((await get('/fhir/Patient/p9', tokens.a81001)).statusCode).toBe(404)
  })

  it('lets only the owning partnership update a Task (mayChangeTask, as the update routes ask it)', async () => {
    writes.length = 0
    expect((await get('/fhir/Task/t1', tokens.leeds, 'PUT', { resourceType: 'Task' })).statusCode).toBe(200)
    const other = await get('/fhir/Task/t2', tokens.leeds, 'PUT', { resourceType: 'Task' })
    expect(other.statusCode).toBe(404)
    expect(writes).toStrictEqual(['t1'])
  })

  it('lets a referrer create referrals for its own ODS codes only', async () => {
    expect((await get('/fhir/ServiceRequest', tokens.a81001, 'POST', sr('x', 'A81001'))).statusCode).toBe(200)
    const res = await get('/fhir/ServiceRequest', tokens.a81001, 'POST', sr('x', 'B82002'))
    expect(res.statusCode).toBe(403)
    expect(res.json().issue[0].expression).toStrictEqual(['ServiceRequest.requester'])
  })

  it('lets a BaRS message act only on a stored referral of the sender\'s own ODS codes', async () => {
    const cancel = (endpoint: string, id: string): unknown => ({ resourceType: 'Bundle', id, type: 'message', entry: [{ resource: { resourceType: 'MessageHeader', source: { endpoint } } }, { resource: { resourceType: 'ServiceRequest', status: 'revoked' } }] })
    const b82002 = await issuer.sign(roleClaims({ roles: ['referrer'], ods: ['B82002'] }))
    expect((await get('/fhir/$process-message', b82002, 'POST', cancel('urn:gp-b|1', 'm-1'))).statusCode).toBe(200)
    const res = await get('/fhir/$process-message', tokens.a81001, 'POST', cancel('urn:gp-b|1', 'm-1'))
    expect(res.statusCode).toBe(404)
    // a message about a referral not stored yet is the route's to judge
    expect((await get('/fhir/$process-message', tokens.a81001, 'POST', cancel('urn:gp-a|1', 'm-2'))).statusCode).toBe(200)
  })

  it('filters Task searches: in the query for one partnership, result by result for a referrer', async () => {
    const leeds = (await get('/fhir/Task', tokens.leeds)).json() as Bundle
    expect(leeds.entry?.map((e) => e.resource?.id)).toStrictEqual(['t1'])
    expect(leeds.total).toBe(1)
    const asked = (await get('/fhir/Task?owner=Organization/york', tokens.leeds)).json() as Bundle
    expect(asked.entry).toStrictEqual([])
    expect(asked.total).toBe(0)
    const referrer = (await get('/fhir/Task', tokens.a81001)).json() as Bundle
    expect(referrer.entry?.map((e) => e.resource?.id)).toStrictEqual(['t1'])
    // a total would count the Tasks it may not see
    expect(referrer.total).toBeUndefined()
    const partial = (await get('/fhir/Task', tokens.york2)).json() as Bundle
    expect(partial.entry?.map((e) => e.resource?.id)).toStrictEqual(['t2'])
    expect(partial.total).toBeUndefined()
  })

  it('leaves the search of a caller bound to every partnership as it is', async () => {
    const all = (await get('/fhir/Task', tokens.both)).json() as Bundle
    expect(all.entry?.map((e) => e.resource?.id)).toStrictEqual(['t1', 't2'])
    expect(all.total).toBe(2)
  })
})

describe('abuse limits', () => {
  it('sets security headers on every answer, errors included', async () => {
    for (const res of [await get('/fhir/metadata'), await get('/fhir/Task/t1')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      expect(res.headers['strict-transport-security']).toBeUndefined()
    }
  })

  it('adds HSTS in production', async () => {
    const prod = await build({ production: true })
    try {
      expect((await prod.inject({ url: '/fhir/metadata' })).headers['strict-transport-security']).toMatch(/max-age=\d+/)
    } finally {
      await prod.close()
    }
  })

  it('answers 429 with Retry-After and an OperationOutcome past the per-client limit, per client', async () => {
    const limited = await build({ rateLimitMax: 3, rateLimitWindowMs: 60_000 })
    try {
      const call = async (token: string | undefined): Promise<LightMyRequestResponse> => limited.inject({ url: '/fhir/Task/t1', headers: { authorization: `Bearer ${token ?? ''}` } })
      for (let i = 0; i < 3; i++) expect((await call(tokens.leeds)).statusCode).toBe(200)
      const res = await call(tokens.leeds)
      expect(res.statusCode).toBe(429)
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'throttled' }] })
      // another client has its own budget
      expect((await call(tokens.a81001)).statusCode).toBe(200)
      // health is never throttled
      for (let i = 0; i < 5; i++) expect((await limited.inject({ url: '/health/live' })).statusCode).toBe(200)
    } finally {
      await limited.close()
    }
  })

  it('answers 503 with an OperationOutcome while the event loop is overloaded, but keeps liveness', async () => {
    const pressed = await build({ maxEventLoopDelayMs: 20 })
    try {
      // block the loop in slices for over a sampling interval (1 s), so the mean delay is high
      const until = Date.now() + 1500
      while (Date.now() < until) {
        const stop = Date.now() + 200
        while (Date.now() < stop) { /* busy */ }
        await new Promise((resolve) => setImmediate(resolve))
      }
      const res = await pressed.inject({ url: '/fhir/metadata' })
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] })
      expect((await pressed.inject({ url: '/health/live' })).statusCode).toBe(200)
    } finally {
      await pressed.close()
    }
  })
})
