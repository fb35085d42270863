import type { Role } from '../auth/principal.ts'
import { html, type HtmlValue, type SafeHtml } from './html.ts'
import type { ConsoleUser } from './session-store.ts'

/** Where the console lives and where its static files are served from. */
export const CONSOLE = '/console'
export const ASSETS = `${CONSOLE}/assets`

const ROLE_NAMES: Readonly<Record<Role, string>> = { operator: 'Operator', partnership: 'Partnership staff', referrer: 'Referrer' }

export interface PageInput {
  title: string
  user?: ConsoleUser
  /** the session's CSRF token, for the sign-out form */
  csrfToken?: string
  /** the page is an error page: the title starts "Error: " (NHS service manual, error summary) */
  error?: boolean
  /** a one-off success message for the last action (notification banner, success) */
  flash?: string
  /** which navigation item is current */
  current?: string
  /** extra elements for <head> */
  head?: SafeHtml
  /** the idle limit in seconds, when signed in: the script warns before it */
  idleSeconds?: number
  main: SafeHtml
}

interface NavItem { href: string, text: string, role: Role }
const NAV: readonly NavItem[] = [
  { href: `${CONSOLE}/operator`, text: 'Partnerships', role: 'operator' },
  { href: `${CONSOLE}/operator/find`, text: 'Find a referral', role: 'operator' },
  { href: `${CONSOLE}/operator/plots`, text: 'Plots', role: 'operator' },
  { href: `${CONSOLE}/worklist`, text: 'Worklist', role: 'partnership' },
  { href: `${CONSOLE}/referrals`, text: 'My referrals', role: 'referrer' }
]

function roleText (user: ConsoleUser): string {
  return [...user.principal.roles].map((r) => ROLE_NAMES[r]).join(', ')
}

function header (input: PageInput): SafeHtml {
  const { user } = input
  const nav = user === undefined ? [] : NAV.filter((n) => user.principal.roles.has(n.role))
  return html`<header class="nhsuk-header" data-module="nhsuk-header" role="banner">
  <div class="nhsuk-header__container nhsuk-width-container">
    <div class="nhsuk-header__service">
      <a class="nhsuk-header__service-logo" href="${CONSOLE}" aria-label="NHS WorkWell console homepage">
        <svg class="nhsuk-header__logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" height="40" width="100" focusable="false" role="img" aria-label="NHS"><title>NHS</title><path fill="currentcolor" d="M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z"/></svg>
        <span class="nhsuk-header__service-name">WorkWell console</span>
      </a>
    </div>
    ${user === undefined
      ? ''
      : html`<nav class="nhsuk-header__account" aria-label="Account">
      <ul class="nhsuk-header__account-list">
        <li class="nhsuk-header__account-item">${user.name} (${roleText(user)})</li>
        <li class="nhsuk-header__account-item">
          <form class="nhsuk-header__account-form" action="${CONSOLE}/sign-out" method="post" novalidate>
            <input type="hidden" name="_csrf" value="${input.csrfToken ?? ''}">
            <button class="nhsuk-header__account-button">Sign out</button>
          </form>
        </li>
      </ul>
    </nav>`}
  </div>
  ${nav.length === 0
    ? ''
    : html`<nav class="nhsuk-header__navigation" aria-label="Menu">
    <div class="nhsuk-header__navigation-container nhsuk-width-container">
      <ul class="nhsuk-header__navigation-list">
        ${nav.map((n) => n.href === input.current
          ? html`<li class="nhsuk-header__navigation-item nhsuk-header__navigation-item--current"><a class="nhsuk-header__navigation-link" href="${n.href}" aria-current="page"><strong class="nhsuk-header__navigation-item-current-fallback">${n.text}</strong></a></li>`
          : html`<li class="nhsuk-header__navigation-item"><a class="nhsuk-header__navigation-link" href="${n.href}">${n.text}</a></li>`)}
        <li class="nhsuk-header__menu" hidden><button class="nhsuk-header__menu-toggle nhsuk-header__navigation-link" id="toggle-menu" aria-expanded="false"><span class="nhsuk-u-visually-hidden">Browse </span>More</button></li>
      </ul>
    </div>
  </nav>`}
</header>`
}

/**
 * The whole page: NHS.UK frontend's layout with the header's account area (who is signed in,
 * and "Sign out" last: the design system asks for it on shared computers). No inline script or
 * style: one stylesheet and one module script, both from this origin, so the CSP can say 'self'.
 */
export function page (input: PageInput): string {
  const title = `${input.error === true ? 'Error: ' : ''}${input.title} – WorkWell console`
  return html`<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="${ASSETS}/nhsuk/images/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS}/nhsuk-frontend.css">
<link rel="stylesheet" href="${ASSETS}/console.css">
<script type="module" src="${ASSETS}/console.js"></script>
${input.head}
</head>
<body${input.user !== undefined && input.idleSeconds !== undefined ? html` data-idle-seconds="${input.idleSeconds}"` : ''}>
<a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">Skip to main content</a>
${header(input)}
<div class="nhsuk-width-container">
<main class="nhsuk-main-wrapper" id="maincontent">
${input.user === undefined || input.idleSeconds === undefined
  ? ''
  : html`<div class="nhsuk-inset-text console-idle-warning" id="idle-warning" hidden>
<p role="alert">You will be signed out soon because the console has not been used for a while.</p>
<button class="nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0" type="button">Stay signed in</button>
</div>`}
${input.flash === undefined
  ? ''
  : html`<div class="nhsuk-notification-banner nhsuk-notification-banner--success" role="alert" aria-labelledby="banner-title" data-module="nhsuk-notification-banner">
  <div class="nhsuk-notification-banner__header"><h2 class="nhsuk-notification-banner__title" id="banner-title">Success</h2></div>
  <div class="nhsuk-notification-banner__content"><p class="nhsuk-notification-banner__heading">${input.flash}</p></div>
</div>`}
${input.main}
</main>
</div>
<footer role="contentinfo"><div class="nhsuk-footer"><div class="nhsuk-width-container"><p class="nhsuk-footer__copyright">WorkWell Gateway console</p></div></div></footer>
</body>
</html>`.value
}

/** An NHS.UK tag: colour plus the word, never colour alone. */
export function tag (text: string, colour: 'grey' | 'green' | 'blue' | 'red' | 'orange' | 'yellow' | 'white'): SafeHtml {
  return html`<strong class="nhsuk-tag nhsuk-tag--${colour}">${text}</strong>`
}

const STATUS_COLOURS: Readonly<Record<string, Parameters<typeof tag>[1]>> = {
  requested: 'blue',
  received: 'blue',
  accepted: 'green',
  'in-progress': 'green',
  'on-hold': 'yellow',
  completed: 'grey',
  rejected: 'red',
  cancelled: 'grey',
  failed: 'red',
  pending: 'blue',
  delivered: 'green',
  'dead-letter': 'red',
  closed: 'green',
  open: 'red',
  'half-open': 'orange'
}

export function statusTag (status: string): SafeHtml {
  return tag(status, STATUS_COLOURS[status] ?? 'white')
}

export function priorityTag (priority: string): SafeHtml {
  return priority === 'routine' ? tag('Routine', 'white') : tag(priority === 'urgent' ? 'Urgent' : priority.toUpperCase(), 'red')
}

const LONDON = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' })

/** An instant as people in England read it. */
export function when (iso: string | undefined): string {
  if (iso === undefined || Number.isNaN(Date.parse(iso))) return 'Not known'
  return LONDON.format(new Date(iso))
}

/** A duration as "3 d 4 h", "2 h 5 min" or "40 s". */
export function age (ms: number | undefined): string {
  if (ms === undefined) return 'None pending'
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const min = Math.floor(s / 60)
  if (min < 60) return `${min} min`
  const h = Math.floor(min / 60)
  if (h < 48) return `${h} h ${min % 60} min`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}

/** The hidden field every POST form carries. */
export function csrfField (token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`
}

/** A compact NHS.UK table with a caption; `rows` cells are already markup or text. */
export function table (caption: string, headings: readonly string[], rows: ReadonlyArray<readonly HtmlValue[]>, options: { numeric?: readonly number[] } = {}): SafeHtml {
  const numeric = (i: number): boolean => options.numeric?.includes(i) === true
  return html`<table class="nhsuk-table nhsuk-table--compact">
<caption class="nhsuk-table__caption">${caption}</caption>
<thead class="nhsuk-table__head"><tr class="nhsuk-table__row">${headings.map((h, i) => html`<th scope="col" class="nhsuk-table__header${numeric(i) ? ' nhsuk-table__header--numeric' : ''}">${h}</th>`)}</tr></thead>
<tbody class="nhsuk-table__body">${rows.map((r) => html`<tr class="nhsuk-table__row">${r.map((c, i) => i === 0 ? html`<th scope="row" class="nhsuk-table__header">${c}</th>` : html`<td class="nhsuk-table__cell${numeric(i) ? ' nhsuk-table__cell--numeric' : ''}">${c}</td>`)}</tr>`)}</tbody>
</table>`
}
