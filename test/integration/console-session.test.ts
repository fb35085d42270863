import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConsoleClient, referFor, startDevGateway } from '../helpers/console-client.ts'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call } from '../helpers/fixtures.ts'

// the app's clock, moved forward by tests of the idle limit (tokens go by the wall clock)
let offsetMs = 0
let gw: TestGateway

beforeAll(async () => {
  gw = await startDevGateway({ overrides: { clock: { now: () => new Date(Date.now() + offsetMs) } } })
})

afterAll(async () => {
  await gw.close()
})

describe('console sign-in in development mode', () => {
  it('offers the three role buttons and a session cookie that scripts and other sites cannot use', async () => {
    const c = new ConsoleClient(gw.origin)
    const first = await c.get('/console')
    expect(first.status).toBe(303)
    expect(first.location).toBe('/console/sign-in')
    const signIn = await c.get('/console/sign-in')
    expect(signIn.status).toBe(200)
    for (const label of ['Sign in as operator', 'Sign in as partnership', 'Sign in as referrer']) expect(signIn.text).toContain(`>${label}</button>`)
    const cookie = signIn.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^workwell_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict$/)
    // the console's CSP lets its own files in and nothing inline; the API keeps its own
    const csp = signIn.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("style-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(signIn.text).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=/i)
    expect(signIn.headers.get('cache-control')).toBe('no-store')
    const api = await call(`${gw.fhir}/metadata`)
    expect(api.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'")
  })

  it('refuses a form without the session\'s CSRF token, or with another\'s', async () => {
    const c = new ConsoleClient(gw.origin)
    await c.get('/console/sign-in')
    const none = await c.post('/console/sign-in/dev', { role: 'operator' }, false)
    expect(none.status).toBe(403)
    const other = new ConsoleClient(gw.origin)
    await other.get('/console/sign-in')
    const forged = await c.post('/console/sign-in/dev', { role: 'operator', _csrf: other.csrf }, false)
    expect(forged.status).toBe(403)
    expect((await c.get('/console/operator')).status).toBe(303)
  })

  it('signs an operator in under a new session id, shows all partnerships, and audits it', async () => {
    const c = new ConsoleClient(gw.origin)
    await c.get('/console/sign-in')
    const before = c.cookie
    const res = await c.signIn('operator')
    expect(res.status).toBe(303)
    expect(c.cookie).not.toBe(before)
    const home = await c.get('/console/operator')
    expect(home.status).toBe(200)
    for (const p of gw.deps.partnerships.values()) expect(home.text).toContain(p.name)
    expect(home.text).toContain(`Delivery to the ${gw.deps.partnerships.size} partnerships`)
    const audit = await gw.deps.store.searchAudit({ agent: 'client/console-dev-operator', limit: 10 })
    expect(audit.map((a) => a.subtype)).toContain('login')
    // the old, signed-out session id is worthless
    const stale = new ConsoleClient(gw.origin)
    stale.cookie = before
    expect((await stale.get('/console/operator')).status).toBe(303)
  })

  it('finds a referral by the reference people read out, typed loosely, as well as by its id', async () => {
    const { serviceRequestId } = await referFor(gw, 'frimley')
    const sr = (await gw.deps.store.readResource('ServiceRequest', serviceRequestId))?.resource as { identifier?: Array<{ value?: string }> } | undefined
    const reference = sr?.identifier?.find((i) => i.value?.startsWith('WW-') === true)?.value ?? ''
    expect(reference).toMatch(/^WW-[0-9A-Z]{5}-[0-9A-Z]{5}$/)
    const c = new ConsoleClient(gw.origin)
    await c.signIn('operator')
    for (const typed of [reference, reference.toLowerCase().replaceAll('-', ' ')]) {
      const found = await c.get(`/console/operator/find?id=${encodeURIComponent(typed)}`)
      expect(found.status).toBe(200)
      expect(found.text).toContain(serviceRequestId)
    }
    // one character wrong: the check symbol catches it, and nothing is found
    const last = reference.at(-1) === '0' ? '1' : '0'
    const wrong = await c.get(`/console/operator/find?id=${encodeURIComponent(reference.slice(0, -1) + last)}`)
    expect(wrong.text).not.toContain(serviceRequestId)
  })

  it('ends a session on sign-out and after the idle limit', async () => {
    const c = new ConsoleClient(gw.origin)
    await c.signIn('referrer')
    const kept = c.cookie
    expect((await c.get('/console/referrals')).status).toBe(200)
    const out = await c.post('/console/sign-out', {})
    expect(out.status).toBe(303)
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0')
    const after = new ConsoleClient(gw.origin)
    after.cookie = kept
    expect((await after.get('/console/referrals')).status).toBe(303)

    // the idle warning's "Stay signed in" asks this, and is told whether the session lives
    expect((await after.get('/console/session')).status).toBe(401)
    expect((await c.get('/console/session')).status).toBe(401)

    const idle = new ConsoleClient(gw.origin)
    await idle.signIn('referrer')
    offsetMs = 14 * 60_000
    expect((await idle.get('/console/session')).status).toBe(204)
    offsetMs = 28 * 60_000
    expect((await idle.get('/console/referrals')).status).toBe(200)
    offsetMs += 16 * 60_000
    const expired = await idle.get('/console/referrals')
    offsetMs = 0
    expect(expired.status).toBe(303)
    expect(expired.location).toBe('/console/sign-in')
  })

  it('keeps each role to its own pages', async () => {
    const c = new ConsoleClient(gw.origin)
    await c.signIn('referrer')
    expect((await c.get('/console/operator')).status).toBe(403)
    expect((await c.get('/console/worklist')).status).toBe(403)
  })
})

describe('partnership staff and referrers', () => {
  it('works a Task through the API\'s update path; a second editor is told and shown the new state', async () => {
    const { taskId } = await referFor(gw, 'birmingham-and-solihull')
    const staff = new ConsoleClient(gw.origin)
    await staff.signIn('partnership')
    const list = await staff.get('/console/worklist')
    expect(list.text).toContain(`/console/tasks/${taskId}`)
    const task = await staff.get(`/console/tasks/${taskId}`)
    expect(task.status).toBe(200)
    const version = /name="version" value="(\d+)"/.exec(task.text)?.[1] ?? ''
    // patient details on the Task's page only, never in the list
    const nhsNumber = />(\d{10})</.exec(task.text)?.[1]
    expect(nhsNumber).toBeDefined()
    expect(list.text).not.toContain(nhsNumber)

    const accepted = await staff.post(`/console/tasks/${taskId}`, { action: 'accept', version })
    expect(accepted.status).toBe(303)
    const stored = await gw.deps.store.readResource('Task', taskId)
    expect(stored?.resource).toMatchObject({ status: 'accepted' })
    expect(stored?.versionId).toBe(String(Number(version) + 1))
    const audit = await gw.deps.store.searchAudit({ entity: `Task/${taskId}`, limit: 10 })
    expect(audit.find((a) => a.action === 'U')).toMatchObject({ subtype: 'update', agent: 'client/console-dev-partnership partnership/birmingham-and-solihull' })

    // the second person still holds the first version
    const second = await staff.post(`/console/tasks/${taskId}`, { action: 'reject', version, reason: 'Out of area' })
    expect(second.status).toBe(409)
    expect(second.text).toContain('Someone else changed this Task')
    expect(second.text).toContain('nhsuk-tag--green">accepted<')
    expect((await gw.deps.store.readResource('Task', taskId))?.resource).toMatchObject({ status: 'accepted' })

    // a rejection needs a reason: said next to the field, nothing saved
    const current = (await gw.deps.store.readResource('Task', taskId))?.versionId ?? ''
    const noReason = await staff.post(`/console/tasks/${taskId}`, { action: 'reject', version: current, reason: ' ' })
    expect(noReason.status).toBe(400)
    expect(noReason.text).toContain('href="#reason-input"')

    const referrer = new ConsoleClient(gw.origin)
    await referrer.signIn('referrer')
    const mine = await referrer.get('/console/referrals')
    // listed by the reference the practice gave the patient, with its new status
    const storedTask = await gw.deps.store.readResource('Task', taskId)
    const reference = (storedTask?.resource as { identifier?: Array<{ value?: string }> } | undefined)?.identifier?.[0]?.value ?? ''
    expect(reference).toMatch(/^WW-/)
    expect(mine.text).toMatch(new RegExp(`/console/tasks/${taskId}">${reference}</a>.*?accepted`, 's'))
  })

  it('answers another partnership\'s Task with the same 404 page as an unknown one', async () => {
    const { taskId } = await referFor(gw, 'north-central-london')
    const staff = new ConsoleClient(gw.origin)
    await staff.signIn('partnership')
    const theirs = await staff.get(`/console/tasks/${taskId}`)
    const unknown = await staff.get('/console/tasks/no-such-task')
    expect(theirs.status).toBe(404)
    expect(unknown.status).toBe(404)
    expect(theirs.text).toBe(unknown.text)
    const version = String((await gw.deps.store.readResource('Task', taskId))?.versionId)
    const change = await staff.post(`/console/tasks/${taskId}`, { action: 'accept', version })
    expect(change.status).toBe(404)
    expect((await gw.deps.store.readResource('Task', taskId))?.resource).toMatchObject({ status: expect.not.stringMatching(/^accepted$/) as unknown })
  })
})

describe('with a token issuer configured', () => {
  it('offers no development sign-in, as no development tokens are accepted', async () => {
    const strict = await startGateway()
    try {
      const c = new ConsoleClient(strict.origin)
      const page = await c.get('/console/sign-in')
      expect(page.text).not.toContain('Sign in as operator')
      expect((await c.post('/console/sign-in/dev', { role: 'operator' })).status).toBe(404)
    } finally {
      await strict.close()
    }
  })
})
