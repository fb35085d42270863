import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Bundle, ServiceRequest, Task } from '@medplum/fhirtypes'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson, type Reply } from '../helpers/fixtures.ts'
import { asPartnership } from '../helpers/tokens.ts'
import { barsHeaders, cancellationMessage, referralMessage } from '../integration/bars-messages.ts'

/**
 * Properties of access, over random callers: whatever roles and bindings a valid token holds,
 * and whatever it reads, searches, pages, changes or cancels, it learns nothing outside its
 * scope — not by status, body, header, cursor, total or ETag. The oracle is the rule itself:
 * a referrer sees the referrals of its ODS codes, a partnership those routed to it.
 */
const FIXTURES = ['north-central-london', 'greater-manchester', 'north-west-london', 'frimley']
const STRANGER_ODS = 'Y99999'
const STRANGER_PARTNERSHIP = 'surrey-heartlands'

interface Seeded { partnership: string, ods: string, sr: string, task: string, patient?: string }

let gw: TestGateway
const seeded: Seeded[] = []
const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
const bundleOf = (r: Reply): Bundle => r.body as unknown as Bundle

beforeAll(async () => {
  gw = await startGateway()
  for (const partnership of FIXTURES) {
    const body = readJson<ServiceRequest>(`fixtures/referrals/${partnership}/gp-referral.json`)
    const ods = body.requester?.identifier?.value ?? ''
    const token = await gw.token({ roles: ['referrer'], ods: [ods], client: `seed-${partnership}` })
    const r = await call(`${gw.fhir}/ServiceRequest`, { body, headers: { ...auth(token) } })
    expect(r.status, r.text).toBe(201)
    const task = /Task\/([^>]+)>/.exec(r.headers.get('link') ?? '')?.[1] ?? ''
    seeded.push({ partnership, ods, sr: String(r.body.id), task })
  }
  // a transaction: its Patient is a resource of its own, scoped with its referral
  const bundle = readJson<Bundle>('fixtures/bundles/greater-manchester-transaction.json')
  const ods = (bundle.entry ?? []).map((e) => e.resource).find((r): r is ServiceRequest => r?.resourceType === 'ServiceRequest')?.requester?.identifier?.value ?? ''
  const token = await gw.token({ roles: ['referrer'], ods: [ods], client: 'seed-transaction' })
  const r = await call(gw.fhir, { body: bundle, headers: auth(token) })
  expect(r.status, r.text).toBe(200)
  const locations = (bundleOf(r).entry ?? []).map((e) => e.response?.location ?? '')
  const id = (type: string): string => locations.find((l) => l.startsWith(`${type}/`))?.split('/')[1] ?? ''
  seeded.push({ partnership: 'greater-manchester', ods, sr: id('ServiceRequest'), task: /Task\/([^>]+)>/.exec(r.headers.get('link') ?? '')?.[1] ?? '', patient: id('Patient') })
  expect(seeded.every((s) => s.sr !== '' && s.task !== '')).toBe(true)
})

afterAll(async () => { await gw.close() })

const caller = fc.record({
  referrer: fc.boolean(),
  partnership: fc.boolean(),
  ods: fc.subarray([...new Set(['F83674', 'Y02720', 'E87065', 'H81097', STRANGER_ODS])]),
  partnerships: fc.subarray([...FIXTURES, STRANGER_PARTNERSHIP])
})
type Caller = typeof caller extends fc.Arbitrary<infer T> ? T : never

/** What the gateway grants a token (principal.ts): a role with its bindings, never one without. */
function granted (c: Caller): { ods: string[], partnerships: string[], any: boolean } {
  const ods = c.referrer && c.ods.length > 0 ? c.ods : []
  const partnerships = c.partnership && c.partnerships.length > 0 ? c.partnerships : []
  return { ods, partnerships, any: ods.length > 0 || partnerships.length > 0 }
}

const sees = (c: Caller, s: Seeded): boolean => {
  const g = granted(c)
  return g.ods.includes(s.ods) || g.partnerships.includes(s.partnership)
}

async function tokenFor (c: Caller): Promise<string> {
  const roles = [...(c.referrer ? ['referrer' as const] : []), ...(c.partnership ? ['partnership' as const] : [])]
  return gw.token({ roles, ods: c.ods, partnership: c.partnerships, client: `prop-${randomUUID()}` })
}

/** A 404 body with the asked id taken out: "not yours" and "unknown" must read the same. */
const shape = (r: Reply, id: string): string => r.text.replaceAll(id, 'ID')

describe('access properties', () => {
  it('a read answers 200 with an ETag exactly inside the scope, and outside it what an unknown id answers', async () => {
    await fc.assert(fc.asyncProperty(caller, async (c) => {
      const token = await tokenFor(c)
      const g = granted(c)
      const unknownId = randomUUID()
      for (const s of seeded) {
        const targets: Array<[string, string]> = [['ServiceRequest', s.sr], ['Task', s.task], ...(s.patient === undefined ? [] : [['Patient', s.patient] as [string, string]])]
        for (const [type, id] of targets) {
          const r = await call(`${gw.fhir}/${type}/${id}`, { headers: auth(token) })
          if (!g.any) {
            expect(r.status).toBe(403)
            continue
          }
          if (sees(c, s)) {
            expect(r.status).toBe(200)
            expect(r.headers.get('etag')).toMatch(/^W\/"\d+"$/)
          } else {
            const unknown = await call(`${gw.fhir}/${type}/${unknownId}`, { headers: auth(token) })
            expect(r.status).toBe(404)
            expect(r.headers.get('etag')).toBeNull()
            expect(shape(r, id)).toBe(shape(unknown, unknownId))
            expect([...r.headers.keys()].sort()).toStrictEqual([...unknown.headers.keys()].sort())
          }
        }
      }
    }), { numRuns: 25 })
  })

  it('a search matches, counts and pages exactly the caller\'s Tasks, and every cursor names one of them', async () => {
    await fc.assert(fc.asyncProperty(caller, fc.integer({ min: 1, max: 3 }), async (c, count) => {
      const token = await tokenFor(c)
      const g = granted(c)
      const first = await call(`${gw.fhir}/Task?_count=${count}`, { headers: { ...auth(token) } })
      if (!g.any) {
        expect(first.status).toBe(403)
        return
      }
      const expected = seeded.filter((s) => sees(c, s)).map((s) => s.task).sort()
      const seen: string[] = []
      let page: Reply | undefined = first
      while (page !== undefined) {
        expect(page.status).toBe(200)
        const b = bundleOf(page)
        expect(b.total).toBe(expected.length)
        const ids = (b.entry ?? []).map((e) => (e.resource as Task).id ?? '')
        seen.push(...ids)
        const next = b.link?.find((l) => l.relation === 'next')?.url
        if (next === undefined) break
        const cursorId = Buffer.from(new URL(next).searchParams.get('_cursor') ?? '', 'base64url').toString('utf8').split('|')[1] ?? ''
        expect(expected).toContain(cursorId)
        page = await call(next.replace('http://gateway.test/fhir', gw.fhir), { headers: auth(token) })
      }
      expect(seen.sort()).toStrictEqual(expected)
    }), { numRuns: 25 })
  })

  it('a change or a cancellation outside the scope reads as unknown and changes nothing', async () => {
    await fc.assert(fc.asyncProperty(caller, fc.constantFrom(...seeded), async (c, s) => {
      const token = await tokenFor(c)
      const g = granted(c)
      const before = await call(`${gw.fhir}/Task/${s.task}`, { headers: await asPartnership(gw) })
      const patch = [{ op: 'test', path: '/status', value: 'nothing-like-this' }]
      const r = await call(`${gw.fhir}/Task/${s.task}`, { method: 'PATCH', raw: JSON.stringify(patch), headers: { ...auth(token), 'content-type': 'application/json-patch+json', 'if-match': before.headers.get('etag') ?? '' } })
      const owns = g.partnerships.includes(s.partnership)
      if (!c.partnership || c.partnerships.length === 0) expect(r.status).toBe(403)
      else if (owns) expect(r.status).toBe(409) // the failed test op: the Task was found
      else expect(r.status).toBe(404)
      // a BaRS cancellation by a caller who did not send the referral names nothing of it
      if (g.ods.length > 0) {
        const cancel = await call(`${gw.fhir}/$process-message`, { body: cancellationMessage(randomUUID()), headers: { ...barsHeaders(), ...auth(token) } })
        expect([403, 404]).toContain(cancel.status)
      }
      const after = await call(`${gw.fhir}/Task/${s.task}`, { headers: await asPartnership(gw) })
      expect(after.headers.get('etag')).toBe(before.headers.get('etag'))
    }), { numRuns: 20 })
  })

  it('a BaRS message from one client never reaches another client\'s referral of the same practice and Bundle.id', async () => {
    const message = referralMessage('fixtures/referrals/greater-manchester/gp-referral.json')
    const a = await gw.token({ roles: ['referrer'], ods: ['Y02720', 'P88002'], client: 'bars-a' })
    const b = await gw.token({ roles: ['referrer'], ods: ['Y02720', 'P88002'], client: 'bars-b' })
    const sent = await call(`${gw.fhir}/$process-message`, { body: message, headers: { ...barsHeaders(), ...auth(a) } })
    expect(sent.status, sent.text).toBe(200)
    const other = await call(`${gw.fhir}/$process-message`, { body: cancellationMessage(message.id ?? ''), headers: { ...barsHeaders(), ...auth(b) } })
    expect(other.status).toBe(404)
    const own = await call(`${gw.fhir}/$process-message`, { body: cancellationMessage(message.id ?? ''), headers: { ...barsHeaders(), ...auth(a) } })
    expect(own.status, own.text).toBe(200)
  })

  it('over random interleavings of creates, reads, searches and changes by several callers, each sees exactly its own', async () => {
    interface Who { ods: string[], partnerships: string[], token: string }
    const pool: Who[] = []
    for (const [ods, partnerships] of [[['F83674'], []], [['Y02720', 'E87065'], []], [[], ['north-central-london']], [[], ['greater-manchester', 'north-west-london']], [['H81097'], ['frimley']], [[STRANGER_ODS], [STRANGER_PARTNERSHIP]]] as Array<[string[], string[]]>) {
      const roles = [...(ods.length > 0 ? ['referrer' as const] : []), ...(partnerships.length > 0 ? ['partnership' as const] : [])]
      pool.push({ ods, partnerships, token: await gw.token({ roles, ods, partnership: partnerships, client: `pool-${pool.length}` }) })
    }
    const fixtures = FIXTURES.map((partnership) => ({ partnership, body: readJson<ServiceRequest>(`fixtures/referrals/${partnership}/gp-referral.json`) }))
    // the model: every referral stored so far (read once through a token bound to everything),
    // with whose it is, then every referral this test makes
    const everything = await gw.token({ roles: ['referrer', 'partnership'], ods: ['F83674', 'Y02720', 'E87065', 'H81097', STRANGER_ODS], partnership: [...FIXTURES, STRANGER_PARTNERSHIP], client: 'model' })
    const all = bundleOf(await call(`${gw.fhir}/Task?_count=100`, { headers: { ...auth(everything) } }))
    const made: Seeded[] = (all.entry ?? []).map((e) => {
      const t = e.resource as Task
      return { partnership: (t.owner?.reference ?? '').replace('Organization/', ''), ods: t.requester?.identifier?.value ?? '', sr: '', task: t.id ?? '' }
    })
    expect(made.length).toBeGreaterThanOrEqual(seeded.length)
    const visible = (w: Who): Seeded[] => made.filter((m) => w.ods.includes(m.ods) || w.partnerships.includes(m.partnership))
    const action = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), who: fc.nat(pool.length - 1), fixture: fc.nat(fixtures.length - 1) }),
      fc.record({ kind: fc.constant('read' as const), who: fc.nat(pool.length - 1), target: fc.nat(1000) }),
      fc.record({ kind: fc.constant('search' as const), who: fc.nat(pool.length - 1), count: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant('change' as const), who: fc.nat(pool.length - 1), target: fc.nat(1000) })
    )
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 10 }), async (actions) => {
      for (const a of actions) {
        const w = pool[a.who] as Who
        switch (a.kind) {
          case 'create': {
            const f = fixtures[a.fixture] as (typeof fixtures)[number]
            const ods = f.body.requester?.identifier?.value ?? ''
            const r = await call(`${gw.fhir}/ServiceRequest`, { body: f.body, headers: { ...auth(w.token) } })
            if (w.ods.length === 0) expect(r.status).toBe(403)
            else if (!w.ods.includes(ods)) expect(r.status).toBe(403)
            else {
              expect(r.status).toBe(201)
              made.push({ partnership: f.partnership, ods, sr: String(r.body.id), task: /Task\/([^>]+)>/.exec(r.headers.get('link') ?? '')?.[1] ?? '' })
            }
            break
          }
          case 'read': {
            const m = made[a.target % made.length] as Seeded
            const r = await call(`${gw.fhir}/Task/${m.task}`, { headers: { ...auth(w.token) } })
            expect(r.status).toBe(visible(w).includes(m) ? 200 : 404)
            break
          }
          case 'search': {
            const r = await call(`${gw.fhir}/Task?_count=${a.count}`, { headers: { ...auth(w.token) } })
            expect(r.status).toBe(200)
            expect(bundleOf(r).total).toBe(visible(w).length)
            const ids = (bundleOf(r).entry ?? []).map((e) => e.resource?.id)
            for (const id of ids) expect(visible(w).map((m) => m.task)).toContain(id)
            break
          }
          case 'change': {
            const m = made[a.target % made.length] as Seeded
            const patch = [{ op: 'test', path: '/status', value: 'never' }]
            // the Task's current version (another test may have moved it on), read by the model's token
            const etag = (await call(`${gw.fhir}/Task/${m.task}`, { headers: { ...auth(everything) } })).headers.get('etag') ?? ''
            const r = await call(`${gw.fhir}/Task/${m.task}`, { method: 'PATCH', raw: JSON.stringify(patch), headers: { ...auth(w.token), 'content-type': 'application/json-patch+json', 'if-match': etag } })
            if (w.partnerships.length === 0) expect(r.status).toBe(403)
            else expect(r.status).toBe(w.partnerships.includes(m.partnership) ? 409 : 404)
            break
          }
        }
      }
    }), { numRuns: 15 })
  })
})
