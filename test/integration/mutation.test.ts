import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, fixturePartnerships, readJson } from '../helpers/fixtures.ts'
import { asReferrer, tokenFor } from '../helpers/tokens.ts'

/** Small seeded PRNG (mulberry32) so a failure can be replayed from its seed. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const ODD_VALUES: Json[] = [null, true, 0, -1, 1e308, '', ' ', 'x'.repeat(300), [], {}, [null], { resourceType: 'Patient' }, '2026-13-45', '#patient', 'urn:uuid:0', { reference: '#nowhere' }]

/** Paths to every value in a JSON tree. */
function paths (value: Json, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(at)
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out))
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out)
  return out
}

function mutate (doc: Json, rand: () => number): Json {
  const copy = structuredClone(doc)
  const all = paths(copy).filter((p) => p.length > 0)
  const n = 1 + Math.floor(rand() * 3)
  for (let i = 0; i < n; i++) {
    const p = all[Math.floor(rand() * all.length)]
    if (p === undefined) continue
    let parent: Json = copy
    for (const key of p.slice(0, -1)) {
      if (parent === null || typeof parent !== 'object') break
      parent = (parent as Record<string, Json>)[key as string] ?? null
    }
    if (parent === null || typeof parent !== 'object') continue
    const last = p[p.length - 1] as string
    const r = rand()
    if (r < 0.3 && !Array.isArray(parent)) delete (parent as Record<string, Json>)[last]
    else (parent as Record<string, Json>)[last] = ODD_VALUES[Math.floor(rand() * ODD_VALUES.length)] ?? null
  }
  return copy
}

let gw: TestGateway
beforeAll(async () => { gw = await startGateway() })
afterAll(async () => { await gw.close() })

describe('mutated referrals never cause a 5xx', () => {
  it('answers 300 mutated requests across the write routes with 2xx or a 4xx OperationOutcome', async () => {
    const rand = prng(20261123)
    const docs: Array<{ doc: Json, route: string }> = []
    for (const p of fixturePartnerships()) {
      docs.push({ doc: readJson<Json>(`fixtures/referrals/${p}/gp-referral.json`) as Json, route: '/ServiceRequest' })
      docs.push({ doc: readJson<Json>(`fixtures/referrals/${p}/fit-note-triage.json`) as Json, route: '/ServiceRequest/$triage' })
    }
    for (const b of ['north-west-london', 'greater-manchester', 'cornwall-and-isles-of-scilly']) {
      docs.push({ doc: readJson<Json>(`fixtures/bundles/${b}-transaction.json`) as Json, route: '' })
    }
    const statuses = new Map<number, number>()
    for (let i = 0; i < 300; i++) {
      const pick = docs[Math.floor(rand() * docs.length)]!
      const route = rand() < 0.15 ? '/$validate' : pick.route
      const doc = mutate(pick.doc, rand)
      const res = await call(`${gw.fhir}${route}`, { body: doc, headers: await asReferrer(gw) })
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      expect(res.status, `iteration ${i} ${route}: ${JSON.stringify(doc).slice(0, 2000)}`).toBeLessThan(500)
      if (res.status >= 400) {
        expect(res.body.resourceType).toBe('OperationOutcome')
        expect((res.body.issue as Array<{ expression?: string[] }>).length).toBeGreaterThan(0)
      }
    }
    // The mutations must really exercise both the refusal and the acceptance paths.
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true)
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true)
  })
})

describe('10,000 malformed and mutated requests across every route (fast-check)', () => {
  let fuzz: TestGateway
  const seeds: { taskId: string, srId: string, tokens: Record<string, string> } = { taskId: 'x', srId: 'x', tokens: {} }
  beforeAll(async () => {
    // no rate limit or overload refusal: this test is the flood
    fuzz = await startGateway({ env: { WORKWELL_RATE_LIMIT: '0', WORKWELL_MAX_EVENT_LOOP_DELAY_MS: '0' } })
    const res = await call(`${fuzz.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(fuzz), body: readJson('fixtures/referrals/north-central-london/gp-referral.json') })
    const task = res.body as { id?: string, basedOn?: Array<{ reference?: string }> }
    seeds.taskId = task.id ?? 'x'
    seeds.srId = (task.basedOn?.[0]?.reference ?? '').replace('ServiceRequest/', '')
    seeds.tokens = {
      valid: await tokenFor(fuzz, 'referrer'),
      referrer: await fuzz.token({ roles: ['referrer'], ods: ['F83674'] }),
      partnership: await fuzz.token({ roles: ['partnership'], partnership: ['leeds'] }),
      operator: await fuzz.token({ roles: ['operator'] }),
      expired: await fuzz.issuer.sign({ sub: 'x', scope: 'workwell/operator' }, { now: new Date(Date.now() - 7_200_000) })
    }
  })
  afterAll(async () => { await fuzz.close() })

  it('answers every one without a 5xx or a crash, and every error is an OperationOutcome', { timeout: 300_000 }, async () => {
    const docs: Json[] = [
      ...fixturePartnerships().slice(0, 4).map((p) => readJson<Json>(`fixtures/referrals/${p}/gp-referral.json`) as Json),
      readJson<Json>('fixtures/bundles/greater-manchester-transaction.json') as Json,
      readJson<Json>('fixtures/bars/greater-manchester-referral-message.json') as Json
    ]
    const TYPES = ['ServiceRequest', 'Task', 'Patient', 'Observation', 'Condition', 'Consent', 'Organization', 'StructureDefinition', 'ValueSet', 'CodeSystem', 'MessageDefinition', 'Bundle', 'Nope']
    const id = fc.oneof(fc.constant(seeds.taskId), fc.constant(seeds.srId), fc.constant('north-central-london'), fc.string({ maxLength: 80 }), fc.constantFrom('..', '%00', '%2F', 'a'.repeat(65), '$validate', '_history', '😀'))
    // each route with its own method most of the time, any method now and then
    const route = fc.oneof(
      fc.constantFrom<[string, string]>(['POST', '/fhir'], ['POST', '/fhir/ServiceRequest'], ['POST', '/fhir/ServiceRequest/$triage'], ['POST', '/fhir/$validate'], ['POST', '/fhir/$process-message'],
        ['GET', '/fhir/Task'], ['GET', '/fhir/MessageDefinition'], ['GET', '/admin/deliveries'], ['GET', '/admin/AuditEvent'], ['GET', '/fhir/metadata'], ['GET', '/health/live'], ['GET', '/health/ready'], ['GET', '/metrics']),
      fc.tuple(fc.constantFrom(...TYPES), id).map(([t, i]): [string, string] => ['GET', `/fhir/${t}/${encodeURIComponent(i)}`]),
      fc.tuple(fc.constantFrom('PUT', 'PATCH'), id).map(([m, i]): [string, string] => [m, `/fhir/Task/${encodeURIComponent(i)}`]),
      fc.constantFrom(...TYPES).map((t): [string, string] => ['POST', `/fhir/${t}/$validate`]),
      id.map((i): [string, string] => ['POST', `/admin/deliveries/${encodeURIComponent(i)}/$replay`]),
      fc.webPath().map((p): [string, string] => ['GET', `/fhir${p}`])
    )
    const method = fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') })
    const query = fc.dictionary(
      fc.oneof(fc.constantFrom('owner', 'based-on', 'status', '_lastUpdated', '_count', '_offset', '_cursor', '_format', 'entity', 'agent', 'partnership', 'url', 'name', '__proto__'), fc.string({ maxLength: 12 })),
      fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('Organization/leeds', `ServiceRequest/${seeds.srId}`, 'gt2026-01-01', 'eq2026-13-45', '0', '-1', '101', 'dead-letter', 'json', 'application/xml', 'Task/x')),
      { maxKeys: 4 }
    ).map((q) => { const s = new URLSearchParams(q as Record<string, string>).toString(); return s === '' ? '' : `?${s}` })
    const body = fc.oneof(
      fc.integer().map((seed) => JSON.stringify(mutate(docs[Math.abs(seed) % docs.length] ?? null, prng(seed)))),
      fc.json({ maxDepth: 4 }),
      fc.string({ maxLength: 200 }),
      fc.constantFrom('', '{', '[]', 'null', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '['.repeat(200), `[${'1,'.repeat(20_000)}1]`, '{"resourceType":"Task","id":"x"}', JSON.stringify([{ op: 'replace', path: '/status', value: 'received' }]))
    )
    const auth = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('valid', 'referrer', 'partnership', 'operator').map((k) => `Bearer ${seeds.tokens[k] ?? ''}`) },
      { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${seeds.tokens.expired ?? ''}`, `bearer ${seeds.tokens.valid ?? ''}x`, 'Bearer a.b.c') },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`) }
    )
    const request = fc.record({
      route,
      method,
      query,
      body: fc.option(body, { nil: undefined }),
      contentType: fc.oneof({ weight: 5, arbitrary: fc.constant('natural') }, { weight: 1, arbitrary: fc.constantFrom('application/fhir+json', 'application/json', 'application/json-patch+json', 'application/fhir+json; charset=utf-8', 'text/plain', 'application/xml', 'multipart/form-data; boundary=x', '') }),
      accept: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('application/fhir+json', '*/*', '', 'application/fhir+json; version=1.4.0') }, { weight: 1, arbitrary: fc.constantFrom('application/xml', 'text/html', 'application/json', 'application/fhir+xml') }),
      authorization: auth,
      extra: fc.dictionary(fc.constantFrom('if-match', 'if-none-match', 'prefer', 'x-request-id', 'x-correlation-id', 'nhsd-end-user-organisation', 'nhsd-target-identifier'), fc.oneof(fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.constantFrom('W/"1"', '*', 'return=minimal', 'handling=strict', '00000000-0000-4000-8000-000000000000')), { maxKeys: 3 })
    })
    const statuses = new Map<number, number>()
    await fc.assert(fc.asyncProperty(request, async (req) => {
      const [natural, routePath] = req.route
      const r = { ...req, method: req.method ?? natural, path: routePath, contentType: req.contentType === 'natural' ? (req.route[0] === 'PATCH' ? 'application/json-patch+json' : 'application/fhir+json') : req.contentType }
      const headers: Record<string, string> = { ...r.extra }
      if (r.authorization !== '') headers.authorization = r.authorization
      if (r.accept !== '') headers.accept = r.accept
      if (r.body !== undefined && r.contentType !== '') headers['content-type'] = r.contentType
      const res = await fuzz.server.inject({ method: r.method as 'GET', url: `${r.path}${r.query}`, headers, ...(r.body === undefined || r.method === 'GET' || r.method === 'HEAD' ? {} : { payload: r.body }) })
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
      if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${r.method} ${r.path}${r.query}: ${res.body.slice(0, 500)}`)
      if (res.statusCode >= 400 && r.method !== 'HEAD') {
        const outcome = JSON.parse(res.body) as { resourceType?: string, issue?: unknown[] }
        if (outcome.resourceType !== 'OperationOutcome' || (outcome.issue ?? []).length === 0) throw new Error(`${res.statusCode} without an OperationOutcome for ${r.method} ${r.path}: ${res.body.slice(0, 300)}`)
      }
    }), { numRuns: 10_000, seed: 20261130 })
    // the run must reach the routes, not only the front door
    expect([...statuses.keys()].filter((s) => s < 300).length).toBeGreaterThan(0)
    for (const s of [400, 401, 403, 404]) expect(statuses.get(s) ?? 0, `status ${s}`).toBeGreaterThan(0)
    // and the gateway still answers afterwards
    expect((await call(`${fuzz.origin}/health/ready`)).status).toBe(200)
  })
})
