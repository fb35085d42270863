import { DEV_ISSUER, ensureDevSigningKey, mintToken } from '../../src/auth/dev-keys.ts'
import { requesterOdsOfBody } from '../../src/auth/access-policy.ts'
import type { Role } from '../../src/auth/principal.ts'
import { call, readJson } from './fixtures.ts'
import { startGateway, TEST_AUDIENCE, type TestGateway } from './gateway.ts'

export interface Page { status: number, headers: Headers, text: string, location?: string }

/**
 * A browser without a browser: keeps the console's cookie, follows nothing by itself, and
 * reads each page's CSRF token so a test can post forms as a person would.
 */
export class ConsoleClient {
  readonly origin: string
  /** cookies by name (paths are ignored: every console cookie goes back) */
  readonly cookies = new Map<string, string>()
  csrf = ''

  /** the session cookie's value as a Cookie header, or '' */
  get cookie (): string {
    const id = this.cookies.get('workwell_console')
    return id === undefined ? '' : `workwell_console=${id}`
  }

  set cookie (header: string) {
    this.cookies.clear()
    const at = header.indexOf('=')
    if (at > 0) this.cookies.set(header.slice(0, at), header.slice(at + 1))
  }

  constructor (origin: string) {
    this.origin = origin
  }

  async get (path: string): Promise<Page> {
    return this.#send(path, { method: 'GET' })
  }

  async post (path: string, form: Record<string, string>, withCsrf = true): Promise<Page> {
    const body = new URLSearchParams({ ...(withCsrf ? { _csrf: this.csrf } : {}), ...form }).toString()
    return this.#send(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  }

  /** Opens the sign-in page and presses a development button. */
  async signIn (role: Role): Promise<Page> {
    await this.get('/console/sign-in')
    return this.post('/console/sign-in/dev', { role })
  }

  async #send (path: string, init: { method: string, body?: string, headers?: Record<string, string> }): Promise<Page> {
    const header = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await fetch(`${this.origin}${path}`, { ...init, redirect: 'manual', headers: { ...init.headers, ...(header === '' ? {} : { cookie: header }) } })
    for (const set of res.headers.getSetCookie()) {
      const pair = set.split(';')[0] ?? ''
      const at = pair.indexOf('=')
      if (at <= 0) continue
      if (/Max-Age=0/.test(set)) this.cookies.delete(pair.slice(0, at))
      else this.cookies.set(pair.slice(0, at), pair.slice(at + 1))
    }
    const text = await res.text()
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1]
    if (token !== undefined) this.csrf = token
    const location = res.headers.get('location')
    return { status: res.status, headers: res.headers, text, ...(location === null ? {} : { location }) }
  }
}

/** A test gateway in development mode (no token issuer configured): the console offers its buttons. */
export async function startDevGateway (options: Parameters<typeof startGateway>[0] = {}): Promise<TestGateway> {
  return startGateway({ ...options, env: { ...options.env, WORKWELL_AUTH_ISSUERS: '' } })
}

/** A development-key token, as `npm start` prints them, for API calls to a dev gateway. */
export async function devToken (gw: TestGateway, roles: Role[], bind: { ods?: string[], partnerships?: string[] } = {}): Promise<string> {
  const key = await ensureDevSigningKey(gw.dataDir)
  return mintToken(key, { roles, clientId: `test-${roles.join('-')}`, ...(bind.ods === undefined ? {} : { ods: bind.ods }), ...(bind.partnerships === undefined ? {} : { partnerships: bind.partnerships }), audience: TEST_AUDIENCE, issuer: DEV_ISSUER, ttlSeconds: 600, now: new Date() })
}

/** Sends a partnership's GP referral fixture as its practice; returns the ServiceRequest and Task ids. */
export async function referFor (gw: TestGateway, partnership: string): Promise<{ serviceRequestId: string, taskId: string }> {
  const body = readJson(`fixtures/referrals/${partnership}/gp-referral.json`)
  const token = await devToken(gw, ['referrer'], { ods: requesterOdsOfBody(body).filter((c): c is string => c !== null) })
  const res = await call(`${gw.fhir}/ServiceRequest`, { body, headers: { authorization: `Bearer ${token}` } })
  if (res.status !== 201) throw new Error(`referral refused: ${res.status} ${res.text.slice(0, 300)}`)
  const serviceRequestId = res.body.id as string
  const tasks = await gw.deps.store.searchTasks({ basedOn: `ServiceRequest/${serviceRequestId}`, count: 1, offset: 0 })
  const taskId = tasks.tasks[0]?.id
  if (taskId === undefined) throw new Error('no Task for the referral')
  return { serviceRequestId, taskId }
}
