import type { Task } from '@medplum/fhirtypes'
import type { ConsoleAlert, PartnershipRow, PlotData, ReferralTrail } from './console-data.ts'
import { ROW_CAP } from './console-data.ts'
import { html, type SafeHtml } from './html.ts'
import { age, CONSOLE, csrfField, statusTag, table, when } from './console-layout.ts'
import type { OutboxRow } from '../store/store.ts'
import { barChart, lineChart } from './svg-plot.ts'

function alertList (alerts: readonly ConsoleAlert[]): SafeHtml {
  if (alerts.length === 0) return html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span><p>No alerts: every circuit is closed and there are no dead letters.</p></div>`
  return html`<div class="nhsuk-warning-callout">
<h2 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>Alerts (${alerts.length})</span></h2>
<ul>${alerts.map((a) => html`<li>${a.level === 'error' ? 'Error' : 'Warning'}: ${a.text}${a.since === undefined ? '' : html` (since ${when(a.since)})`}${a.partnershipId === undefined ? '' : html` – <a href="${CONSOLE}/operator/partnerships/${a.partnershipId}/dead-letters">dead letters</a>`}</li>`)}</ul>
</div>`
}

/** "workwell-baseline/2026.11.1+frimley/2026.10.2" as "2026.11.1 + 2026.10.2" (national + local). */
function rulesText (version: string): string {
  return version.split('+').map((part) => part.split('/').pop() ?? part).join(' + ')
}

/**
 * The fields a dead letter's reason names: those a mapping could not fill ("mapping failed:
 * missing required field(s) a, b", deliver-row.ts) or a partner's coded complaint ("… at x").
 */
export function fieldsNamed (reason: string | undefined): string[] {
  const missing = /missing required field\(s\) (.+)$/.exec(reason ?? '')?.[1]
  if (missing !== undefined) return missing.split(',').map((f) => f.trim()).filter((f) => f !== '')
  return [...(reason ?? '').matchAll(/\bat ([A-Za-z0-9_.[\]-]+)/g)].map((m) => m[1] ?? '').filter((f) => f !== '')
}

function count (n: number): string {
  return n >= ROW_CAP ? `${ROW_CAP}+` : String(n)
}

export function operatorHome (rows: readonly PartnershipRow[], alerts: readonly ConsoleAlert[]): SafeHtml {
  return html`<h1>Partnerships</h1>
${alertList(alerts)}
<div class="console-wide">
${table(`Delivery to the ${rows.length} partnerships`, ['Partnership', 'Pending', 'In flight', 'Delivered today', 'Dead letters', 'Oldest pending', 'Circuit', 'Rule set'],
  rows.map((r) => [
    r.name,
    count(r.pending),
    count(r.inFlight),
    count(r.deliveredToday),
    r.deadLetters === 0 ? '0' : html`<a href="${CONSOLE}/operator/partnerships/${r.id}/dead-letters">${count(r.deadLetters)}<span class="nhsuk-u-visually-hidden"> dead letters for ${r.name}</span></a>`,
    age(r.oldestPendingAgeMs),
    statusTag(r.circuit),
    rulesText(r.rulesVersion)
  ]), { numeric: [1, 2, 3, 4] })}
</div>`
}

export function deadLetterPage (partnership: { id: string, name: string }, rows: readonly OutboxRow[], csrfToken: string): SafeHtml {
  return html`<h1>Dead letters: ${partnership.name}</h1>
${rows.length === 0
  ? html`<p>No dead letters for this partnership.</p>`
  : html`<form action="${CONSOLE}/operator/partnerships/${partnership.id}/replay-all" method="post" novalidate>${csrfField(csrfToken)}<button class="nhsuk-button nhsuk-button--secondary" data-module="nhsuk-button" type="submit">${rows.length === 1 ? 'Replay the dead letter' : `Replay all ${rows.length} dead letters`}</button></form>
<div class="console-wide">
${table(`${rows.length} dead letter${rows.length === 1 ? '' : 's'}`, ['Delivery', 'Referral', 'Attempts', 'Last status', 'Reason', 'Fields not filled', 'Since', 'Action'],
  rows.map((r) => [
    r.id,
    html`<a href="${CONSOLE}/operator/find?id=${r.serviceRequestId}">${r.serviceRequestId}</a>`,
    String(r.attempts),
    r.lastResponseStatus === undefined ? 'None' : String(r.lastResponseStatus),
    r.lastError ?? 'Not recorded',
    fieldsNamed(r.lastError).join(', ') || 'None named',
    when(r.updatedAt),
    html`<form class="console-inline-form" action="${CONSOLE}/operator/deliveries/${r.id}/replay" method="post" novalidate>${csrfField(csrfToken)}<input type="hidden" name="partnership" value="${partnership.id}"><button class="nhsuk-button nhsuk-button--small nhsuk-u-margin-bottom-0" type="submit">Replay<span class="nhsuk-u-visually-hidden"> delivery ${r.id}</span></button></form>`
  ]))}
</div>`}
<p><a href="${CONSOLE}/operator">Back to partnerships</a></p>`
}

export function findForm (value: string, missing: boolean): SafeHtml {
  return html`<form action="${CONSOLE}/operator/find" method="get" novalidate>
<div class="nhsuk-form-group${missing ? ' nhsuk-form-group--error' : ''}">
<label class="nhsuk-label" for="find-id">Referral reference or id</label>
<div class="nhsuk-hint" id="find-id-hint">The reference a GP or partnership reads out (WW-…), or the ServiceRequest or Task id</div>
${missing ? html`<span class="nhsuk-error-message" id="find-id-error"><span class="nhsuk-u-visually-hidden">Error:</span> No referral has this id</span>` : ''}
<input class="nhsuk-input nhsuk-input--width-20${missing ? ' nhsuk-input--error' : ''}" id="find-id" name="id" type="text" value="${value}" aria-describedby="find-id-hint${missing ? ' find-id-error' : ''}" autocomplete="off" spellcheck="false">
</div>
<button class="nhsuk-button" data-module="nhsuk-button" type="submit">Find</button>
</form>`
}

export function referralTrail (trail: ReferralTrail): SafeHtml {
  const sr = trail.serviceRequest
  return html`<h2>Referral ${sr.id}</h2>
<dl class="nhsuk-summary-list">
<div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Received</dt><dd class="nhsuk-summary-list__value">${when(sr.lastUpdated)}</dd></div>
<div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Version</dt><dd class="nhsuk-summary-list__value">${sr.versionId}</dd></div>
</dl>
${trail.tasks.length === 0
  ? html`<p>No Task.</p>`
  : table('Task', ['Task', 'Partnership', 'Status', 'Priority', 'Last changed'], trail.tasks.map((t) => [t.id, (t.resource).owner?.display ?? 'Not known', statusTag(t.resource.status), (t.resource as Task).priority ?? 'routine', when(t.lastUpdated)]))}
${trail.deliveries.length === 0
  ? html`<p>No deliveries.</p>`
  : table('Deliveries', ['Delivery', 'Destination', 'Status', 'Attempts', 'Last status', 'Last error', 'Updated'], trail.deliveries.map((d) => [d.id, d.partnershipId, statusTag(d.status), String(d.attempts), d.lastResponseStatus === undefined ? 'None' : String(d.lastResponseStatus), d.lastError ?? 'None', when(d.updatedAt)]))}
${table('Audit trail, newest first', ['When', 'Action', 'Entity', 'Outcome', 'Agent'], trail.audit.map((a) => [when(a.recorded), `${a.subtype} (${a.action})`, a.entity, a.outcome === '0' ? 'Success' : `Failure (${a.outcome})`, a.agent]))}`
}

function hour (iso: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit' }).format(new Date(iso))
}

export function plotsPage (data: PlotData): SafeHtml {
  const labels = data.perPartnership.map((p) => p.id)
  return html`<h1>Plots</h1>
<p>From the delivery outbox as it stands: each delivery's creation time and when it was delivered or given up.${data.capped ? html` <strong>Only the newest ${ROW_CAP} rows of a status were read: figures are at least these.</strong>` : ''}</p>
<h2>Deliveries and dead letters per partnership, last 24 hours</h2>
${barChart('Deliveries per partnership', 'Delivered and dead-lettered deliveries per partnership over the last 24 hours', labels, [
  { name: 'delivered', className: 'plot-delivered', values: data.perPartnership.map((p) => p.delivered) },
  { name: 'dead-lettered', className: 'plot-failed', values: data.perPartnership.map((p) => p.deadLettered) }
])}
<details class="nhsuk-details"><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">The figures as a table</span></summary><div class="nhsuk-details__text">
${table('Per partnership, last 24 hours', ['Partnership', 'Delivered', 'Dead-lettered'], data.perPartnership.map((p) => [p.id, String(p.delivered), String(p.deadLettered)]), { numeric: [1, 2, 3] })}
</div></details>
<h2>Outbox depth, last 24 hours</h2>
${lineChart('Outbox depth', 'Deliveries waiting in the outbox at the end of each hour of the last 24 hours', data.depth.map((d) => hour(d.at)), [
  { name: 'waiting', className: 'plot-depth', values: data.depth.map((d) => d.depth) }
])}
<details class="nhsuk-details"><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">The figures as a table</span></summary><div class="nhsuk-details__text">
${table('Outbox depth and settled deliveries per hour', ['Hour ending', 'Waiting', 'Delivered', 'Dead-lettered'], data.depth.map((d, i) => [hour(d.at), String(d.depth), String(data.hourly[i]?.delivered ?? 0), String(data.hourly[i]?.deadLettered ?? 0)]), { numeric: [1, 2, 3] })}
</div></details>`
}
