import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConsoleClient } from '../helpers/console-client.ts'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { consoleOidcEnv, startTestProvider, type TestProvider } from '../helpers/oidc-provider.ts'

/**
 * Production sign-in against a real OpenID provider on loopback (oidc-provider with its
 * development login pages). The console's redirect URI names a host the test stands in for:
 * the test takes the provider's redirect and brings its query to the gateway itself, as a
 * browser would.
 */
const REDIRECT = 'http://console.test/console/oidc/callback'
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  'op-1': { name: 'Olu Operator', roles: ['operator'] },
  'staff-1': { name: 'Pat Partner', roles: ['partnership'], partnership: ['frimley'] },
  'nobody-1': { name: 'No Role' }
}

let provider: TestProvider
let issuer: string
let gw: TestGateway
let offsetMs = 0

/** A cookie jar for the provider's own cookies (its interaction and session cookies). */
class Jar {
  readonly #cookies = new Map<string, string>()
  header (): string { return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
  take (res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const at = pair?.indexOf('=') ?? -1
      if (pair !== undefined && at > 0) this.#cookies.set(pair.slice(0, at), pair.slice(at + 1))
    }
  }
}

/** Logs in at the provider as `login`, answering its login and consent pages; returns the redirect to the console. */
async function atProvider (authUrl: string, login: string): Promise<URL> {
  const jar = new Jar()
  let url = authUrl
  let init: RequestInit = {}
  for (let step = 0; step < 12; step++) {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string> | undefined), cookie: jar.header() } })
    jar.take(res)
    const location = res.headers.get('location')
    if (location !== null) {
      const next = new URL(location, url)
      if (next.href.startsWith(REDIRECT)) return next
      url = next.href
      init = {}
      continue
    }
    const page = await res.text()
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1]
    if (action === undefined) throw new Error(`provider page without a form: ${res.status} ${page.slice(0, 300)}`)
    const fields = new URLSearchParams()
    for (const [tag] of page.matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]+)"/.exec(tag)?.[1]
      if (name !== undefined) fields.set(name, /value="([^"]*)"/.exec(tag)?.[1] ?? '')
    }
    if (fields.has('login')) { fields.set('login', login); fields.set('password', 'any') }
    url = new URL(action, url).href
    init = { method: 'POST', body: fields.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
  }
  throw new Error('the provider never redirected back')
}

/** Starts the console's sign-in and signs in at the provider; returns the callback path to bring back. */
async function signInAt (c: ConsoleClient, login: string): Promise<string> {
  const page = await c.get('/console/sign-in')
  expect(page.text).toContain('Sign in with your organisation account')
  const start = await c.post('/console/oidc/start', {})
  expect(start.status).toBe(303)
  const back = await atProvider(start.location ?? '', login)
  return `${back.pathname}${back.search}`
}

beforeAll(async () => {
  provider = await startTestProvider({ redirectUri: REDIRECT, postLogoutRedirectUri: 'http://console.test/console/sign-in?signed-out=1', accounts: ACCOUNTS })
  issuer = provider.issuer
  gw = await startGateway({ env: consoleOidcEnv(provider, REDIRECT), overrides: { clock: { now: () => new Date(Date.now() + offsetMs) } } })
})

afterAll(async () => {
  await gw?.close()
  await provider?.close()
})

describe('console sign-in with OpenID Connect', { timeout: 30_000 }, () => {
  it('signs an operator in with PKCE, reads the role claims, and keeps the tokens on the server', async () => {
    const c = new ConsoleClient(gw.origin)
    const page = await c.get('/console/sign-in')
    expect(page.text).not.toContain('Sign in as operator')
    expect(page.headers.get('content-security-policy')).toContain(`form-action 'self' ${issuer}`)
    const start = await c.post('/console/oidc/start', {})
    const auth = new URL(start.location ?? '')
    expect(auth.origin).toBe(issuer)
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256')
    expect(auth.searchParams.get('state')).toMatch(/.{20,}/)
    expect(auth.searchParams.get('nonce')).toMatch(/.{20,}/)
    const back = await atProvider(auth.href, 'op-1')
    expect(start.headers.get('set-cookie')).toMatch(/^workwell_console_login=[A-Za-z0-9_-]{43}; Path=\/console\/oidc\/callback; HttpOnly; SameSite=Lax; Max-Age=600$/)
    const done = await c.get(`${back.pathname}${back.search}`)
    expect(done.status).toBe(200)
    expect(done.text).toContain('<meta http-equiv="refresh" content="0;url=/console">')
    expect(done.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^workwell_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict$/))
    expect(done.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^workwell_console_login=; .*Max-Age=0$/))
    const home = await c.get('/console/operator')
    expect(home.status).toBe(200)
    expect(home.text).toContain('Olu Operator (Operator)')
    expect(home.text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./)
    const audit = await gw.deps.store.searchAudit({ agent: 'client/oidc/op-1', limit: 5 })
    expect(audit.map((a) => a.subtype)).toContain('login')
  })

  it('binds partnership staff to the partnership their claims name', async () => {
    const c = new ConsoleClient(gw.origin)
    await c.get(await signInAt(c, 'staff-1'))
    const list = await c.get('/console/worklist')
    expect(list.status).toBe(200)
    expect(list.text).toContain('Tasks owned by frimley')
    expect((await c.get('/console/operator')).status).toBe(403)
  })

  it('refuses an account without a console role', async () => {
    const c = new ConsoleClient(gw.origin)
    const res = await c.get(await signInAt(c, 'nobody-1'))
    expect(res.status).toBe(400)
    expect((await c.get('/console/operator')).status).toBe(303)
  })

  it('refuses a forged state and a replayed callback', async () => {
    const c = new ConsoleClient(gw.origin)
    const callback = await signInAt(c, 'op-1')
    const forged = callback.replace(/state=[^&]+/, 'state=forged-state-value')
    expect((await c.get(forged)).status).toBe(400)
    // the attempt is used up: even the genuine answer cannot complete it now
    expect((await c.get(callback)).status).toBe(400)

    const d = new ConsoleClient(gw.origin)
    const genuine = await signInAt(d, 'op-1')
    expect((await d.get(genuine)).status).toBe(200)
    expect((await d.get(genuine)).status).toBe(400)
    // nor can another browser session bring someone else's answer
    const e = new ConsoleClient(gw.origin)
    await e.get('/console/sign-in')
    expect((await e.get(genuine)).status).toBe(400)
  })

  it('refuses a sign-in that took too long, and ends an idle session', async () => {
    const c = new ConsoleClient(gw.origin)
    const callback = await signInAt(c, 'op-1')
    offsetMs = 11 * 60_000
    try {
      expect((await c.get(callback)).status).toBe(400)
    } finally {
      offsetMs = 0
    }
    const d = new ConsoleClient(gw.origin)
    await d.get(await signInAt(d, 'op-1'))
    expect((await d.get('/console/operator')).status).toBe(200)
    offsetMs = 16 * 60_000
    try {
      const res = await d.get('/console/operator')
      expect(res.status).toBe(303)
      expect(res.location).toBe('/console/sign-in')
    } finally {
      offsetMs = 0
    }
  })

  it('signs out at the console and at the provider', async () => {
    const c = new ConsoleClient(gw.origin)
    await c.get(await signInAt(c, 'op-1'))
    // the sign-in renewed the session's CSRF token: a page gives the new one
    await c.get('/console/operator')
    const kept = c.cookie
    const out = await c.post('/console/sign-out', {})
    expect(out.status).toBe(303)
    const end = new URL(out.location ?? '')
    expect(`${end.origin}${end.pathname}`).toBe(`${issuer}/session/end`)
    expect(end.searchParams.get('id_token_hint')).toMatch(/^eyJ/)
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe('http://console.test/console/sign-in?signed-out=1')
    const after = new ConsoleClient(gw.origin)
    after.cookie = kept
    expect((await after.get('/console/operator')).status).toBe(303)
  })
})
