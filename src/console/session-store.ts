import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Principal } from '../auth/principal.ts'

/** The person signed in to the console: a display name and what they may do (roles and bindings). */
export interface ConsoleUser {
  /** shown in the header; never logged or audited (the principal's client id is) */
  name: string
  principal: Principal
  /** how they signed in */
  via: 'development' | 'oidc'
  /** OIDC: the id token, kept on the server for the end-session request; never sent to the browser */
  idToken?: string
}

/** An OIDC sign-in under way: what the callback must see again (RFC 9700 §2.1: PKCE, state, nonce). */
export interface PendingLogin {
  state: string
  nonce: string
  codeVerifier: string
  startedAt: number
}

export interface ConsoleSession {
  id: string
  /** the synchronizer token every form of this session carries (OWASP CSRF Prevention) */
  csrfToken: string
  createdAt: number
  lastSeenAt: number
  user?: ConsoleUser
  pendingLogin?: PendingLogin
  /** a one-time message for the next page (the result of the last action) */
  flash?: string
}

export interface SessionLimits {
  /** a session unused this long is gone (ASVS 5.0 7.3.1) */
  idleMs: number
  /** and any session this old (ASVS 5.0 7.3.2) */
  absoluteMs: number
  /** most sessions kept; the least recently used go first */
  maxSessions: number
}

function token (): string {
  return randomBytes(32).toString('base64url')
}

/** Compares two tokens in constant time. */
export function sameToken (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Server-side console sessions, in memory, one store per app instance: the cookie holds only a
 * random id, so signing out or expiry really ends a session (ASVS 5.0 7.4.1), and nothing a
 * browser holds can be replayed after that. Several instances behind a balancer need sticky
 * sessions or a shared store behind this same interface (docs/console.md).
 */
export class SessionStore {
  readonly #sessions = new Map<string, ConsoleSession>()
  readonly #limits: SessionLimits
  readonly #now: () => number

  constructor (limits: SessionLimits, now: () => number) {
    this.#limits = limits
    this.#now = now
  }

  /** A new, signed-out session. */
  create (): ConsoleSession {
    const at = this.#now()
    const session: ConsoleSession = { id: token(), csrfToken: token(), createdAt: at, lastSeenAt: at }
    this.#put(session)
    return session
  }

  /** The live session with this id, touched; undefined when unknown, idle too long or too old. */
  get (id: string | undefined): ConsoleSession | undefined {
    if (id === undefined) return undefined
    const session = this.#sessions.get(id)
    if (session === undefined) return undefined
    const at = this.#now()
    if (at - session.lastSeenAt > this.#limits.idleMs || at - session.createdAt > this.#limits.absoluteMs) {
      this.#sessions.delete(id)
      return undefined
    }
    session.lastSeenAt = at
    // re-inserted so the map's order is least recently used first
    this.#sessions.delete(id)
    this.#sessions.set(id, session)
    return session
  }

  /**
   * The same session under a new id and CSRF token, the old id dead: done at every sign-in so a
   * session id planted before it is worthless (session fixation; ASVS 5.0 7.2.4).
   */
  renew (session: ConsoleSession): ConsoleSession {
    this.#sessions.delete(session.id)
    const at = this.#now()
    const next: ConsoleSession = { ...session, id: token(), csrfToken: token(), createdAt: at, lastSeenAt: at }
    this.#put(next)
    return next
  }

  destroy (id: string): void {
    this.#sessions.delete(id)
  }

  get size (): number {
    return this.#sessions.size
  }

  #put (session: ConsoleSession): void {
    this.#sessions.set(session.id, session)
    while (this.#sessions.size > this.#limits.maxSessions) {
      const oldest = this.#sessions.keys().next().value
      if (oldest === undefined) break
      this.#sessions.delete(oldest)
    }
  }
}
