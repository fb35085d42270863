/**
 * What each per-request hook costs: the bench's bare Fastify server (parse the referral, echo it
 * with an id, 201) alone and with one of the gateway's hooks added, driven in-process with
 * `inject` (no sockets, so the difference is the hook's), CPU time per request. Variants
 * alternate in each round; the median of the rounds is printed with bare's.
 *
 *   [HOOK_ROUNDS=5] node bench/hooks-micro.ts [requests]
 */
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import path from 'node:path'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import { pino } from 'pino'
import { securityHeaders } from '../src/auth/security-headers.ts'
import { systemClock } from '../src/clock.ts'
import { createGatewayMetrics } from '../src/metrics/gateway-metrics.ts'
import { logRequests } from '../src/request-log.ts'
import { countRequests } from '../src/routes/metrics.ts'
import type { Store } from '../src/store/store.ts'

type Setup = (app: FastifyInstance) => Promise<void> | void

/** A pino destination that drops the lines (the cost measured is making them, not the disk). */
function sink (): Writable {
  return new Writable({ write (_chunk, _enc, done) { done() } })
}

const HOOKS: Record<string, Setup> = {
  bare: () => undefined,
  'five async no-op hooks': (app) => {
    for (const name of ['onRequest', 'onRequest', 'preHandler', 'onResponse', 'onResponse'] as const) app.addHook(name, async () => undefined)
  },
  'five callback no-op hooks': (app) => {
    for (let i = 0; i < 2; i++) {
      app.addHook('onRequest', (_req, _reply, done) => { done() })
      app.addHook('onResponse', (_req, _reply, done) => { done() })
    }
    app.addHook('preHandler', (_req, _reply, done) => { done() })
  },
  'security headers': (app) => {
    app.addHook('onSend', (request, reply, payload, done) => { securityHeaders(reply, request.url, false); done(null, payload) })
  },
  'under-pressure': async (app) => {
    await app.register(underPressure, { maxEventLoopDelay: 1000 })
  },
  'rate limit': async (app) => {
    await app.register(rateLimit, { global: false, max: 1e9, timeWindow: 60_000, keyGenerator: () => 'client:bench' })
    app.addHook('onRequest', app.rateLimit())
  },
  metrics: (app) => {
    countRequests(app, createGatewayMetrics({} as Store, systemClock))
  },
  'request log (one info line)': (app) => {
    logRequests(app)
  }
}

async function build (setup: Setup, logged: boolean): Promise<FastifyInstance> {
  const options: FastifyServerOptions = logged ? { loggerInstance: pino({ level: 'info' }, sink()), bodyLimit: 1048576 } : { logger: false, bodyLimit: 1048576 }
  const app = Fastify(options)
  app.decorateRequest('principal', null)
  app.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, (_req, body, done) => {
    try { done(null, JSON.parse(body as string)) } catch (err) { done(err as Error) }
  })
  await setup(app)
  app.post('/fhir/ServiceRequest', async (request, reply) => {
    reply.code(201).header('content-type', 'application/fhir+json')
    return { ...(request.body as object), id: randomUUID(), meta: { versionId: '1', lastUpdated: new Date().toISOString() } }
  })
  await app.ready()
  return app
}

async function cpuPerRequest (app: FastifyInstance, bodies: string[], requests: number): Promise<number> {
  const headers = { 'content-type': 'application/fhir+json' }
  for (let i = 0; i < 500; i++) await app.inject({ method: 'POST', url: '/fhir/ServiceRequest', headers, payload: bodies[i % bodies.length] ?? '{}' })
  const t0 = process.cpuUsage()
  for (let i = 0; i < requests; i++) {
    const res = await app.inject({ method: 'POST', url: '/fhir/ServiceRequest', headers, payload: bodies[i % bodies.length] ?? '{}' })
    if (res.statusCode !== 201) throw new Error(`status ${res.statusCode}`)
  }
  const used = process.cpuUsage(t0)
  return (used.user + used.system) / requests
}

const requests = Number(process.argv[2] ?? 5000)
const folder = path.resolve(import.meta.dirname, '../fixtures/referrals')
const bodies = readdirSync(folder).sort().map((p) => readFileSync(path.join(folder, p, 'gp-referral.json'), 'utf8'))
const names = Object.keys(HOOKS)
const results = new Map<string, number[]>(names.map((n) => [n, []]))
for (let round = 0; round < Number(process.env.HOOK_ROUNDS ?? 5); round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    const setup = HOOKS[name] ?? (() => undefined)
    const app = await build(setup, name.startsWith('request log'))
    results.get(name)?.push(await cpuPerRequest(app, bodies, requests))
    await app.close()
  }
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0
const bare = median(results.get('bare') ?? [])
for (const [name, us] of results) {
  const m = median(us)
  process.stdout.write(`${name}: ${m.toFixed(1)} µs CPU per request (bare ${bare.toFixed(1)}, +${(m - bare).toFixed(1)}); rounds ${us.map((u) => u.toFixed(0)).join(', ')}\n`)
}
