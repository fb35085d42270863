import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, fixturePartnerships, readJson } from '../helpers/fixtures.ts'

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
      const res = await call(`${gw.fhir}${route}`, { body: doc })
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
