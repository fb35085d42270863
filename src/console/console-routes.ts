import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { auditAgent, ROLES, type Role } from '../auth/principal.ts'
import { auditRecord } from '../audit/audit-record.ts'
import { OperationOutcomeError } from '../fhir/operation-outcome.ts'
import { createConsoleData, type AlertSource, type ConsoleActor, type WorklistFilter } from './console-data.ts'
import { readCookie, sessionCookie } from './console-cookie.ts'
import { ASSETS, CONSOLE, page, type PageInput } from './console-layout.ts'
import { assetRoutes, loadConsoleAssets } from './console-assets.ts'
import { errorMain, forbiddenPage, notFoundPage, refusedPage, signedInPage, signInPage } from './common-pages.ts'
import { html } from './html.ts'
import { devSignInAllowed, devUser } from './dev-sign-in.ts'
import { deadLetterPage, findForm, operatorHome, plotsPage, referralTrail } from './operator-pages.ts'
import { referralsPage, taskPage, worklistPage, type TaskPageProblem } from './partnership-pages.ts'
import { sameToken, SessionStore, type ConsoleSession, type ConsoleUser } from './session-store.ts'
import { actionChange, isTaskAction } from './task-actions.ts'
import { createOidcSignIn, type OidcSignIn } from './oidc-sign-in.ts'
import { CONSOLE_ROUTE } from './console-access.ts'
import { normaliseReference } from '../reference/referral-reference.ts'
import type { RouteDeps } from '../routes/route-deps.ts'
import { isFhirId } from '../fhir/request-schema.ts'

/** What the console is given: the routes' own dependencies, and its sessions, alerts and sign-in. */
export interface ConsoleOptions extends Pick<RouteDeps, 'config' | 'store' | 'validator' | 'partnerships' | 'triageRules' | 'clock' | 'newId'> {
  /** the session store; one per app instance is made when none is given */
  sessions?: SessionStore
  /** where the operator home's alerts come from; by default derived from the store */
  alerts?: AlertSource
  /** production sign-in; absent: development buttons only (when allowed) */
  oidc?: OidcSignIn
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession: ConsoleSession | null
  }
}

const COOKIE = 'workwell_console'
/** names the session during an OIDC sign-in only (SameSite=Lax: see /oidc/start) */
const LOGIN_COOKIE = 'workwell_console_login'
const PARTNERSHIP_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/
type Form = Record<string, string | undefined>

function field (body: unknown, name: string): string | undefined {
  if (body === null || typeof body !== 'object') return undefined
  const v = (body as Form)[name]
  return typeof v === 'string' ? v : undefined
}

function queryField (request: FastifyRequest, name: string, allowed?: readonly string[]): string | undefined {
  const v = (request.query as Record<string, unknown> | undefined)?.[name]
  if (typeof v !== 'string' || v === '') return undefined
  return allowed === undefined || allowed.includes(v) ? v : undefined
}

/**
 * The console: server-rendered pages under /console for operators, partnership staff and
 * referrers (docs/console.md). Reads and changes go through console-data.ts only; sessions are
 * server-side; every POST carries the session's CSRF token.
 */
async function consolePlugin (app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const { config } = opts
  const sessions = opts.sessions ?? new SessionStore({
    idleMs: config.console.idleMinutes * 60_000,
    absoluteMs: config.console.maxHours * 3600_000,
    maxSessions: 10_000
  }, () => opts.clock.now().getTime())
  const data = createConsoleData({ ...opts, ...(opts.alerts === undefined ? {} : { alerts: opts.alerts }) })
  const development = devSignInAllowed(config.security)
  const assets = await loadConsoleAssets()
  // the provider's origin is a form target too: sign-in and sign-out forms redirect there
  const formTargets = ["'self'", ...(opts.oidc === undefined ? [] : [opts.oidc.origin])].join(' ')
  const csp = `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action ${formTargets}; frame-ancestors 'none'; base-uri 'none'`

  app.decorateRequest('consoleSession', null)

  // forms post as application/x-www-form-urlencoded; small bodies only
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => {
    const form: Form = {}
    for (const [k, v] of new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))) {
      if (!Object.hasOwn(form, k) && k !== '__proto__') form[k] = v
    }
    done(null, form)
  })

  app.addHook('onSend', async (request, reply, payload) => {
    // the gateway's API CSP (default-src 'none') would stop the console's own stylesheet and script
    reply.header('Content-Security-Policy', csp)
    if (!request.url.startsWith(ASSETS)) reply.header('Cache-Control', 'no-store')
    return payload
  })

  function secure (request: FastifyRequest): boolean {
    return request.protocol === 'https' || config.security.production
  }

  function addCookie (reply: FastifyReply, cookie: string): void {
    const set = reply.getHeader('Set-Cookie')
    reply.header('Set-Cookie', [...(Array.isArray(set) ? set : typeof set === 'string' ? [set] : []), cookie])
  }

  function setCookie (request: FastifyRequest, reply: FastifyReply, session: ConsoleSession): void {
    addCookie(reply, sessionCookie(COOKIE, session.id, { path: CONSOLE, secure: secure(request) }))
  }

  function clearCookie (request: FastifyRequest, reply: FastifyReply): void {
    addCookie(reply, sessionCookie(COOKIE, '', { path: CONSOLE, secure: secure(request), maxAgeSeconds: 0 }))
  }

  function chrome (request: FastifyRequest, current?: string): Omit<PageInput, 'title' | 'main'> {
    const s = request.consoleSession
    const flash = s?.flash
    if (s !== null) delete s.flash
    return {
      ...(s?.user === undefined ? {} : { user: s.user, csrfToken: s.csrfToken, idleSeconds: config.console.idleMinutes * 60 }),
      ...(flash === undefined ? {} : { flash }),
      ...(current === undefined ? {} : { current })
    }
  }

  async function send (reply: FastifyReply, body: string, status = 200): Promise<void> {
    await reply.code(status).type('text/html; charset=utf-8').send(body)
  }

  async function audit (request: FastifyRequest, user: ConsoleUser, subtype: string, entity: string): Promise<void> {
    await opts.store.appendAudit(auditRecord(opts.newId(), opts.clock.now(), { action: 'E', subtype, agent: auditAgent(user.principal), entity, correlationId: request.correlationId }))
  }

  app.addHook('preHandler', async (request, reply) => {
    request.consoleSession = sessions.get(readCookie(request.headers.cookie, COOKIE)) ?? null
    // an unknown path changes nothing and answers the 404 page
    if (request.method !== 'POST' || request.routeOptions.url === undefined) return
    // synchronizer token: a POST must carry the token of the session its cookie names
    const given = field(request.body, '_csrf')
    const session = request.consoleSession
    if (session === null || given === undefined || !sameToken(given, session.csrfToken)) {
      await send(reply, refusedPage(chrome(request), session === null ? 'Your session has ended, perhaps after a time without use.' : 'The form was not one this console gave you.'), 403)
      return reply
    }
  })

  /** The signed-in user with one of the roles, or the reply already sent (sign-in or refusal). */
  async function signedIn (request: FastifyRequest, reply: FastifyReply, role: Role): Promise<{ user: ConsoleUser, actor: ConsoleActor } | undefined> {
    const user = request.consoleSession?.user
    if (user === undefined) {
      await reply.redirect(`${CONSOLE}/sign-in`, 303)
      return undefined
    }
    if (!user.principal.roles.has(role)) {
      await send(reply, forbiddenPage(chrome(request)), 403)
      return undefined
    }
    return { user, actor: { principal: user.principal, correlationId: request.correlationId } }
  }

  function flash (request: FastifyRequest, text: string): void {
    if (request.consoleSession !== null) request.consoleSession.flash = text
  }

  // the asset paths are absolute; this context's routes are relative to its /console prefix
  assetRoutes(app, new Map([...assets].map(([url, asset]) => [url.slice(CONSOLE.length), asset])))

  app.setNotFoundHandler(async (request, reply) => {
    request.consoleSession ??= sessions.get(readCookie(request.headers.cookie, COOKIE)) ?? null
    await send(reply, notFoundPage(chrome(request)), 404)
  })

  app.setErrorHandler(async (err, request, reply) => {
    const status = err instanceof OperationOutcomeError ? err.status : typeof (err as { statusCode?: unknown }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500
    request.log.error({ errName: err instanceof Error ? err.name : typeof err, status }, 'console request failed')
    await send(reply, page({ ...chrome(request), error: true, title: 'Sorry, there is a problem', main: errorMain(status) }), status >= 400 && status < 600 ? status : 500)
  })

  // the idle warning's "Stay signed in": reading this is a use of the session (WCAG 2.2.1)
  app.get('/session', CONSOLE_ROUTE, async (request, reply) => {
    await reply.code(request.consoleSession?.user === undefined ? 401 : 204).send()
  })

  app.get('/', CONSOLE_ROUTE, async (request, reply) => {
    const user = request.consoleSession?.user
    const home: Record<Role, string> = { operator: '/operator', partnership: '/worklist', referrer: '/referrals' }
    const role = ROLES.find((r) => user?.principal.roles.has(r) === true)
    await reply.redirect(`${CONSOLE}${role === undefined ? '/sign-in' : home[role]}`, 303)
  })

  app.get('/sign-in', CONSOLE_ROUTE, async (request, reply) => {
    let session = request.consoleSession
    if (session === null) {
      session = sessions.create()
      request.consoleSession = session
      setCookie(request, reply, session)
    }
    const message = queryField(request, 'signed-out') === '1' ? 'You have signed out.' : undefined
    await send(reply, signInPage(session, { development, oidc: opts.oidc !== undefined }, message))
  })

  async function startSession (request: FastifyRequest, reply: FastifyReply, session: ConsoleSession, user: ConsoleUser): Promise<void> {
    const renewed = sessions.renew(session)
    delete renewed.pendingLogin
    renewed.user = user
    request.consoleSession = renewed
    setCookie(request, reply, renewed)
    await audit(request, user, 'login', 'Console')
    if (user.via === 'development') {
      await reply.redirect(CONSOLE, 303)
      return
    }
    // the way back from the provider began on another site, so a browser keeps the new
    // SameSite=Strict cookie off every request of that navigation, redirects included: a page
    // of our own moves on, and that navigation is same-site (RFC 6265bis §5.2)
    await send(reply, signedInPage())
  }

  // only where development tokens are accepted: elsewhere the path does not exist
  if (development) {
    app.post('/sign-in/dev', CONSOLE_ROUTE, async (request, reply) => {
      const role = field(request.body, 'role')
      const session = request.consoleSession
      if (session === null || role === undefined || !(ROLES as readonly string[]).includes(role)) {
        await send(reply, notFoundPage(chrome(request)), 404)
        return
      }
      await startSession(request, reply, session, devUser(role as Role, opts.partnerships))
    })
  }

  app.post('/sign-out', CONSOLE_ROUTE, async (request, reply) => {
    const session = request.consoleSession
    if (session === null) return // refused by the CSRF check already
    sessions.destroy(session.id)
    clearCookie(request, reply)
    if (session.user !== undefined) await audit(request, session.user, 'logout', 'Console')
    const endSession = session.user?.via === 'oidc' ? opts.oidc?.endSessionUrl(session.user) : undefined
    await reply.redirect(endSession ?? `${CONSOLE}/sign-in?signed-out=1`, 303)
  })

  if (opts.oidc !== undefined) {
    const oidc = opts.oidc
    app.post('/oidc/start', CONSOLE_ROUTE, async (request, reply) => {
      const session = request.consoleSession
      if (session === null) return
      const { url, pending } = await oidc.start(opts.clock.now().getTime())
      session.pendingLogin = pending
      // the provider's redirect back is a cross-site navigation, which carries SameSite=Lax
      // cookies only: this one names the session for the callback path alone, for 10 minutes
      addCookie(reply, sessionCookie(LOGIN_COOKIE, session.id, { path: `${CONSOLE}/oidc/callback`, secure: secure(request), maxAgeSeconds: 600 }).replace('SameSite=Strict', 'SameSite=Lax'))
      await reply.redirect(url, 303)
    })

    app.get('/oidc/callback', CONSOLE_ROUTE, async (request, reply) => {
      const session = request.consoleSession ?? sessions.get(readCookie(request.headers.cookie, LOGIN_COOKIE)) ?? null
      request.consoleSession = session
      addCookie(reply, sessionCookie(LOGIN_COOKIE, '', { path: `${CONSOLE}/oidc/callback`, secure: secure(request), maxAgeSeconds: 0 }))
      const pending = session?.pendingLogin
      // one use only: a replayed or second callback finds nothing to complete
      if (session !== null) delete session.pendingLogin
      const result = session === null || pending === undefined
        ? { ok: false as const, code: 'no-pending', reason: 'no sign-in was started in this browser session' }
        : await oidc.callback(new URL(request.url, oidc.redirectUri), pending, opts.clock.now().getTime())
      if (!result.ok || session === null) {
        request.log.warn({ code: result.ok ? 'no-session' : result.code }, 'console sign-in refused')
        await send(reply, refusedPage(chrome(request), 'The sign-in could not be completed. Start again from the sign-in page.'), 400)
        return
      }
      await startSession(request, reply, session, result.user)
    })
  }

  // ------------------------------------------------------------------ operators

  app.get('/operator', CONSOLE_ROUTE, async (request, reply) => {
    const who = await signedIn(request, reply, 'operator')
    if (who === undefined) return
    const now = opts.clock.now()
    const [rows, alerts] = await Promise.all([data.partnershipRows(now), data.alerts(now)])
    await send(reply, page({ ...chrome(request, `${CONSOLE}/operator`), title: 'Partnerships', main: operatorHome(rows, alerts) }))
  })

  app.get<{ Params: { id: string } }>('/operator/partnerships/:id/dead-letters', CONSOLE_ROUTE, async (request, reply) => {
    const who = await signedIn(request, reply, 'operator')
    if (who === undefined) return
    const p = opts.partnerships.get(request.params.id)
    if (p === undefined) {
      await send(reply, notFoundPage(chrome(request)), 404)
      return
    }
    const rows = await data.deadLetters(p.id)
    await send(reply, page({ ...chrome(request), title: `Dead letters: ${p.name}`, main: deadLetterPage(p, rows, request.consoleSession?.csrfToken ?? '') }))
  })

  app.post<{ Params: { id: string } }>('/operator/deliveries/:id/replay', CONSOLE_ROUTE, async (request, reply) => {
    const who = await signedIn(request, reply, 'operator')
    if (who === undefined) return
    const partnership = field(request.body, 'partnership')
    const back = partnership !== undefined && PARTNERSHIP_ID.test(partnership) && opts.partnerships.has(partnership) ? `${CONSOLE}/operator/partnerships/${partnership}/dead-letters` : `${CONSOLE}/operator`
    const result = isFhirId(request.params.id) ? await data.replay(who.actor, request.params.id) : 'not-found'
    flash(request, result === 'replayed' ? `Delivery ${request.params.id} is queued again` : result === 'not-found' ? `No delivery ${request.params.id}` : `Delivery ${request.params.id} is not a dead letter; nothing was changed`)
    await reply.redirect(back, 303)
  })

  app.post<{ Params: { id: string } }>('/operator/partnerships/:id/replay-all', CONSOLE_ROUTE, async (request, reply) => {
    const who = await signedIn(request, reply, 'operator')
    if (who === undefined) return
    if (!opts.partnerships.has(request.params.id)) {
      await send(reply, notFoundPage(chrome(request)), 404)
      return
    }
    const n = await data.replayAll(who.actor, request.params.id)
    flash(request, `${n} dead letter${n === 1 ? ' is' : 's are'} queued again`)
    await reply.redirect(`${CONSOLE}/operator`, 303)
  })

  app.get('/operator/find', CONSOLE_ROUTE, async (request, reply) => {
    const who = await signedIn(request, reply, 'operator')
    if (who === undefined) return
    const id = queryField(request, 'id')?.trim()
    const trail = id === undefined || !(isFhirId(id) || normaliseReference(id) !== undefined) ? undefined : await data.findReferral(who.actor, id)
    const missing = id !== undefined && trail === undefined
    await send(reply, page({
      ...chrome(request, `${CONSOLE}/operator/find`),
      error: missing,
      title: 'Find a referral',
      main: html`<h1>Find a referral</h1>${findForm(id ?? '', missing)}${trail === undefined ? '' : referralTrail(trail)}`
    }), missing ? 404 : 200)
  })

  app.get('/operator/plots', CONSOLE_ROUTE, async (request, reply) => {
    const who = await signedIn(request, reply, 'operator')
    if (who === undefined) return
    await send(reply, page({ ...chrome(request, `${CONSOLE}/operator/plots`), title: 'Plots', main: plotsPage(await data.plots(opts.clock.now())) }))
  })

  // ------------------------------------------------------------------ partnerships and referrers

  app.get('/worklist', CONSOLE_ROUTE, async (request, reply) => {
    const who = await signedIn(request, reply, 'partnership')
    if (who === undefined) return
    const filter: WorklistFilter = {}
    const status = queryField(request, 'status')
    const priority = queryField(request, 'priority')
    const outcome = queryField(request, 'outcome')
    if (status !== undefined && /^[a-z-]{1,20}$/.test(status)) filter.status = status
    if (priority !== undefined && /^[a-z]{1,10}$/.test(priority)) filter.priority = priority
    if (outcome !== undefined && /^[a-z-]{1,30}$/.test(outcome)) filter.outcome = outcome
    const tasks = await data.worklist(who.actor, filter)
    await send(reply, page({ ...chrome(request, `${CONSOLE}/worklist`), title: 'Worklist', main: worklistPage(who.user.principal.partnerships, tasks, filter) }))
  })

  async function taskView (request: FastifyRequest, reply: FastifyReply, actor: ConsoleActor, id: string, problem?: TaskPageProblem, status = 200): Promise<void> {
    const detail = isFhirId(id) ? await data.task(actor, id) : undefined
    if (detail === undefined) {
      await send(reply, notFoundPage(chrome(request)), 404)
      return
    }
    await send(reply, page({ ...chrome(request), error: problem !== undefined, title: `Task ${id}`, main: taskPage(detail, request.consoleSession?.csrfToken ?? '', problem) }), status)
  }

  app.get<{ Params: { id: string } }>('/tasks/:id', CONSOLE_ROUTE, async (request, reply) => {
    const user = request.consoleSession?.user
    if (user === undefined) {
      await reply.redirect(`${CONSOLE}/sign-in`, 303)
      return
    }
    await taskView(request, reply, { principal: user.principal, correlationId: request.correlationId }, request.params.id)
  })

  app.post<{ Params: { id: string } }>('/tasks/:id', CONSOLE_ROUTE, async (request, reply) => {
    const who = await signedIn(request, reply, 'partnership')
    if (who === undefined) return
    const { id } = request.params
    const action = field(request.body, 'action')
    const version = field(request.body, 'version')
    if (!isFhirId(id) || !isTaskAction(action) || version === undefined || !/^\d{1,12}$/.test(version)) {
      await send(reply, refusedPage(chrome(request), 'The form was incomplete.'), 400)
      return
    }
    const input = actionChange(action, { reason: field(request.body, 'reason'), outcome: field(request.body, 'outcome') })
    if (!input.ok) {
      await taskView(request, reply, who.actor, id, { field: input.field, message: input.message }, 400)
      return
    }
    let result
    try {
      result = await data.updateTask(who.actor, id, version, input.change)
    } catch (err) {
      if (!(err instanceof OperationOutcomeError) || err.status !== 422) throw err
      const message = err.issues.map((i) => i.diagnostics ?? i.code).join('; ')
      await taskView(request, reply, who.actor, id, { message: `The change was not saved: ${message}` }, 422)
      return
    }
    switch (result.kind) {
      case 'not-found':
        await send(reply, notFoundPage(chrome(request)), 404)
        return
      case 'stale':
      case 'version-conflict':
        await taskView(request, reply, who.actor, id, { message: `Someone else changed this Task while you had it open, so your change was not saved. Below is the Task as it is now (version ${result.currentVersionId}). If your change still applies, make it again.` }, 409)
        return
      case 'updated':
        flash(request, `Task ${id} is now ${result.stored.resource.status}`)
        await reply.redirect(`${CONSOLE}/tasks/${id}`, 303)
    }
  })

  app.get('/referrals', CONSOLE_ROUTE, async (request, reply) => {
    const who = await signedIn(request, reply, 'referrer')
    if (who === undefined) return
    const tasks = await data.referrals(who.actor, 200)
    await send(reply, page({ ...chrome(request, `${CONSOLE}/referrals`), title: 'My referrals', main: referralsPage(who.user.principal.odsCodes, tasks) }))
  })
}

/** The console as one plugin under /console, its own encapsulated context (parsers, hooks, 404 page). */
export async function consoleRoutes (app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  // production sign-in: the provider is discovered once, at start (a failure stops the start)
  const configured = opts.config.console.oidc
  const oidc = opts.oidc ?? (configured === undefined ? undefined : await createOidcSignIn(configured, [...opts.partnerships.keys()]))
  await app.register(consolePlugin, { ...opts, ...(oidc === undefined ? {} : { oidc }), prefix: CONSOLE })
}
