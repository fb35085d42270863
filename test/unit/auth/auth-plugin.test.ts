import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import type { ServiceRequest } from '@medplum/fhirtypes'
import { auth } from '../../../src/auth/auth-plugin.ts'
import { missed } from '../../../src/auth/request-agent.ts'
import { roles } from '../../../src/auth/access-policy.ts'
import type { SecurityConfig } from '../../../src/auth/auth-config.ts'
import { createTokenVerifier, loadTrustedIssuers, type TokenVerifier } from '../../../src/auth/verify-token.ts'
import { fhirErrorHandler } from '../../../src/fhir/error-handler.ts'
import { outcomeError } from '../../../src/fhir/operation-outcome.ts'
import type { AuditRecord } from '../../../src/store/store.ts'
import { createTestIssuer, roleClaims, type TestIssuer } from '../../helpers/tokens.ts'
import { until } from '../../helpers/until.ts'

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

const sr = (id: string, requester?: string): ServiceRequest => ({ resourceType: 'ServiceRequest', id, status: 'active', intent: 'order', subject: {}, ...(requester === undefined ? {} : { requester: { identifier: { system: ODS, value: requester } } }) })

const refusedAudit: AuditRecord[] = []
const store = {
  appendAudit: async (r: AuditRecord) => { refusedAudit.push(r) }
}

let dir: string
let issuer: TestIssuer
let verify: TokenVerifier

async function build (security: Partial<SecurityConfig> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  app.setErrorHandler(fhirErrorHandler)
  await app.register(auth, { security: { ...SECURITY, ...security }, verify, store, clock: { now: () => new Date() }, newId: () => `a${refusedAudit.length}` })
  app.setNotFoundHandler(async (request) => { throw outcomeError(404, 'not-found', `No route ${request.method} ${request.url}`) })
  app.get('/fhir/metadata', { config: { access: 'public' } }, async () => ({ resourceType: 'CapabilityStatement' }))
  app.get('/health/live', { config: { access: 'public' } }, async () => ({ status: 'live' }))
  app.get<{ Params: { id: string } }>('/fhir/Task/:id', { config: { access: roles('referrer', 'partnership') } }, async (request) => {
    // as read.ts does when the scoped query finds nothing
    missed(request, `Task/${request.params.id}`)
    throw outcomeError(404, 'not-found', `Task/${request.params.id} is not known`, 'Task.id')
  })
  app.delete('/fhir/Task/:id', { config: { access: { roles: [] } } }, async () => ({ deleted: true }))
  app.post('/fhir/ServiceRequest', { config: { access: roles('referrer'), referralBody: true } }, async () => ({ created: true }))
  app.get('/admin/deliveries', { config: { access: roles('operator') } }, async () => ({ deliveries: [] }))
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

describe('declared access', () => {
  it('refuses to start when a route declares no access', async () => {
    const bare = Fastify()
    await bare.register(auth, { security: SECURITY, verify, store, clock: { now: () => new Date() }, newId: () => 'x' })
    expect(() => bare.get('/fhir/Undeclared', async () => ({}))).toThrow(/declares no access/)
    await bare.close()
  })

  it('lets a referrer create referrals for its own ODS codes only, and leaves one naming none to the intake', async () => {
    expect((await get('/fhir/ServiceRequest', tokens.a81001, 'POST', sr('x', 'A81001'))).statusCode).toBe(200)
    const res = await get('/fhir/ServiceRequest', tokens.a81001, 'POST', sr('x', 'B82002'))
    expect(res.statusCode).toBe(403)
    expect(res.json().issue[0].expression).toStrictEqual(['ServiceRequest.requester'])
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: sr('y', 'A81001') }, { resource: sr('z', 'b82002') }] }
    expect((await get('/fhir/ServiceRequest', tokens.a81001, 'POST', bundle)).statusCode).toBe(403)
    expect((await get('/fhir/ServiceRequest', tokens.a81001, 'POST', sr('x'))).statusCode).toBe(200)
  })

  it('records a miss in the audit trail after the answer, the same for any id', async () => {
    refusedAudit.length = 0
    const a = await get('/fhir/Task/t1', tokens.leeds)
    const b = await get('/fhir/Task/t2', tokens.leeds)
    expect(a.statusCode).toBe(404)
    expect(a.body.replace('t1', 'ID')).toBe(b.body.replace('t2', 'ID'))
    await vi.waitFor(() => { expect(refusedAudit.map((r) => r.entity)).toStrictEqual(['Task/t1', 'Task/t2']) })
    expect(refusedAudit.every((r) => r.subtype === 'access-refused' && r.outcome === '4')).toBe(true)
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
      for (let i = 0; i < 3; i++) expect((await call(tokens.leeds)).statusCode).toBe(404)
      const res = await call(tokens.leeds)
      expect(res.statusCode).toBe(429)
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'throttled' }] })
      // another client has its own budget
      expect((await call(tokens.a81001)).statusCode).toBe(404)
      // health is never throttled
      for (let i = 0; i < 5; i++) expect((await limited.inject({ url: '/health/live' })).statusCode).toBe(200)
    } finally {
      await limited.close()
    }
  })

  it('answers 503 with an OperationOutcome while the event loop is overloaded, but keeps liveness', async () => {
    const pressed = await build({ maxEventLoopDelayMs: 20 })
    try {
      // block the loop in slices (the load under test, not a wait) until the sampled delay
      // (1 s interval) makes the server refuse
      let res = await pressed.inject({ url: '/fhir/metadata' })
      await until(async () => {
        const stop = Date.now() + 200
        while (Date.now() < stop) { /* busy */ }
        await new Promise((resolve) => setImmediate(resolve))
        res = await pressed.inject({ url: '/fhir/metadata' })
        return res.statusCode === 503
      }, 10_000, 'the server to report the event loop overloaded')
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] })
      expect((await pressed.inject({ url: '/health/live' })).statusCode).toBe(200)
    } finally {
      await pressed.close()
    }
  })
})
