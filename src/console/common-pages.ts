import { html, type SafeHtml } from './html.ts'
import { CONSOLE, csrfField, page } from './console-layout.ts'
import type { ConsoleSession } from './session-store.ts'

/** The dev sign-in buttons: one per role, named as the console's checks expect. */
export const DEV_ROLES = [
  { role: 'operator', label: 'Sign in as operator' },
  { role: 'partnership', label: 'Sign in as partnership' },
  { role: 'referrer', label: 'Sign in as referrer' }
] as const

export function signInPage (session: ConsoleSession, mode: { development: boolean, oidc: boolean }, message?: string): string {
  return page({
    title: 'Sign in',
    main: html`<h1>Sign in to the WorkWell console</h1>
${message === undefined ? '' : html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span><p>${message}</p></div>`}
${mode.oidc
  ? html`<form action="${CONSOLE}/oidc/start" method="post" novalidate>${csrfField(session.csrfToken)}<button class="nhsuk-button" data-module="nhsuk-button" type="submit">Sign in with your organisation account</button></form>`
  : ''}
${mode.development
  ? html`<p>Development mode: no identity provider is configured, so each role can be tried directly. This is never offered in production.</p>
<div class="nhsuk-button-group">
${DEV_ROLES.map((r) => html`<form action="${CONSOLE}/sign-in/dev" method="post" novalidate>${csrfField(session.csrfToken)}<input type="hidden" name="role" value="${r.role}"><button class="nhsuk-button" data-module="nhsuk-button" type="submit">${r.label}</button></form>`)}
</div>`
  : ''}
${!mode.oidc && !mode.development ? html`<p>Sign-in is not configured for this gateway.</p>` : ''}`
  })
}

/** The one "not found" page: an unknown id and another organisation's are told apart by nothing. */
export function notFoundPage (input: Omit<Parameters<typeof page>[0], 'title' | 'main'>): string {
  return page({
    ...input,
    title: 'Page not found',
    main: html`<h1>Page not found</h1>
<p>If you typed the web address, check it is correct.</p>
<p>If you pasted the web address, check you copied the entire address.</p>
<p><a href="${CONSOLE}">Go to the start of the console</a></p>`
  })
}

export function forbiddenPage (input: Omit<Parameters<typeof page>[0], 'title' | 'main'>): string {
  return page({
    ...input,
    title: 'You cannot use this page',
    main: html`<h1>You cannot use this page</h1><p>Your role does not include this part of the console.</p><p><a href="${CONSOLE}">Go to the start of the console</a></p>`
  })
}

/** A refused form (a bad or missing CSRF token, an expired session). */
export function refusedPage (input: Omit<Parameters<typeof page>[0], 'title' | 'main'>, why: string): string {
  return page({
    ...input,
    error: true,
    title: 'The form could not be sent',
    main: html`<h1>The form could not be sent</h1><p>${why}</p><p><a href="${CONSOLE}">Go to the start of the console</a> and try again.</p>`
  })
}

/** The body of an unexpected error page: nothing of the error itself is shown. */
export function errorMain (status: number): SafeHtml {
  return status === 429 || status === 503
    ? html`<h1>Sorry, the service is busy</h1><p>Try again in a few minutes.</p>`
    : html`<h1>Sorry, there is a problem with the service</h1><p>Try again later. The problem has been recorded.</p>`
}

/**
 * After an OIDC sign-in: moves on to the console at once (a refresh of 0 s, which WCAG 2.2.1
 * allows), with a link for a browser that does not follow it.
 */
export function signedInPage (): string {
  return page({
    title: 'Signed in',
    head: html`<meta http-equiv="refresh" content="0;url=${CONSOLE}">`,
    main: html`<h1>You are signed in</h1><p><a href="${CONSOLE}">Continue to the console</a></p>`
  })
}
