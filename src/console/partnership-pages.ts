import type { HumanName, Patient, Task } from '@medplum/fhirtypes'
import { REFERRAL_OUTCOMES } from '../lifecycle/lifecycle-codes.ts'
import { TRANSITIONS } from '../lifecycle/task-transitions.ts'
import type { TaskDetail, TaskSummary, WorklistFilter } from './console-data.ts'
import { html, type SafeHtml } from './html.ts'
import { CONSOLE, csrfField, priorityTag, statusTag, table, when } from './console-layout.ts'
import { actionsFor, TASK_ACTIONS } from './task-actions.ts'

const STATUSES = Object.keys(TRANSITIONS).filter((s) => s !== 'draft' && s !== 'entered-in-error' && s !== 'ready')
const PRIORITIES = ['urgent', 'asap', 'stat', 'routine']

function select (id: string, label: string, options: readonly string[], chosen: string | undefined, display: (o: string) => string = (o) => o): SafeHtml {
  return html`<div class="nhsuk-form-group">
<label class="nhsuk-label" for="${id}">${label}</label>
<select class="nhsuk-select" id="${id}" name="${id}">
<option value=""${chosen === undefined ? ' selected' : ''}>Any</option>
${options.map((o) => html`<option value="${o}"${o === chosen ? ' selected' : ''}>${display(o)}</option>`)}
</select></div>`
}

export function worklistPage (partnerships: readonly string[], tasks: readonly TaskSummary[], filter: WorklistFilter): SafeHtml {
  return html`<h1>Worklist</h1>
<p>Tasks owned by ${partnerships.join(', ')}, urgent first, then the oldest first.</p>
<form action="${CONSOLE}/worklist" method="get" novalidate class="console-actions">
${select('status', 'Status', STATUSES, filter.status)}
${select('priority', 'Priority', PRIORITIES, filter.priority)}
${select('outcome', 'Outcome', Object.keys(REFERRAL_OUTCOMES), filter.outcome, (o) => REFERRAL_OUTCOMES[o] ?? o)}
<div class="nhsuk-form-group"><button class="nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-0" type="submit">Filter</button></div>
</form>
${tasks.length === 0
  ? html`<p>No Tasks match.</p>`
  : table(`${tasks.length} Task${tasks.length === 1 ? '' : 's'}`, ['Reference', 'Priority', 'Status', 'Triage', 'Received', 'Last changed'],
    tasks.map((t) => [html`<a href="${CONSOLE}/tasks/${t.id}">${t.reference ?? t.id}</a>`, priorityTag(t.priority), statusTag(t.status), t.triage ?? 'Not known', when(t.authoredOn), when(t.lastModified)]))}`
}

function nameOf (names: readonly HumanName[] | undefined): string {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0]
  if (n === undefined) return 'Not known'
  return n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter((p) => p !== undefined && p !== '').join(' ')
}

function nhsNumber (patient: Patient | undefined, task: Task): string {
  const fromPatient = patient?.identifier?.find((i) => i.system === 'https://fhir.nhs.uk/Id/nhs-number')?.value
  return fromPatient ?? (task.for?.identifier?.system === 'https://fhir.nhs.uk/Id/nhs-number' ? task.for.identifier.value ?? 'Not known' : 'Not known')
}

function row (key: string, value: SafeHtml | string): SafeHtml {
  return html`<div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">${key}</dt><dd class="nhsuk-summary-list__value">${value}</dd></div>`
}

export interface TaskPageProblem {
  /** the field the problem is about, for the error summary's link */
  field?: 'reason' | 'outcome'
  message: string
}

/**
 * One Task: the referral summary with the patient's details (only here, never in lists or URLs),
 * the triage reasons and signposts, and the moves the lifecycle allows from its status.
 */
export function taskPage (detail: TaskDetail, csrfToken: string, problem?: TaskPageProblem): SafeHtml {
  const t = detail.stored.resource
  const sr = detail.serviceRequest
  const actions = detail.mayUpdate ? actionsFor(t.status) : []
  const version = detail.stored.versionId
  const outputs = (t.output ?? []).map((o) => {
    const code = o.type?.coding?.[0]?.code
    const kind = o.type?.coding?.[0]?.display ?? o.type?.text ?? (code === undefined ? 'Output' : `${code.charAt(0).toUpperCase()}${code.slice(1).replaceAll('-', ' ')}`)
    const value = o.valueCodeableConcept?.coding?.[0]?.display ?? o.valueCodeableConcept?.text ?? o.valueString ?? o.valueIdentifier?.value ?? o.valueCodeableConcept?.coding?.[0]?.code ?? ''
    return html`<li>${kind}: ${value}</li>`
  })
  const errorId = problem?.field === undefined ? undefined : `${problem.field}-input`
  return html`${problem === undefined
  ? ''
  : html`<div class="nhsuk-error-summary" data-module="nhsuk-error-summary"><div role="alert"><h2 class="nhsuk-error-summary__title">There is a problem</h2>
<div class="nhsuk-error-summary__body"><ul class="nhsuk-list nhsuk-error-summary__list">${errorId === undefined ? html`<li>${problem.message}</li>` : html`<li><a href="#${errorId}">${problem.message}</a></li>`}</ul></div></div></div>`}
<h1>Task ${t.id}</h1>
<h2>Referral</h2>
<dl class="nhsuk-summary-list">
${row('Status', statusTag(t.status))}
${row('Version', version)}
${row('Priority', priorityTag(t.priority ?? 'routine'))}
${row('Received', when(t.authoredOn))}
${row('Last changed', when(t.lastModified))}
${row('Referred by (ODS)', t.requester?.identifier?.value ?? 'Not known')}
${row('Status reason', t.statusReason?.text ?? 'None')}
${sr === undefined ? '' : row('Reason for referral', sr.reasonCode?.map((r) => r.text ?? r.coding?.[0]?.display).filter((x) => x !== undefined).join('; ') || sr.code?.text || sr.code?.coding?.[0]?.display || 'Not given')}
</dl>
<h2>Patient</h2>
<dl class="nhsuk-summary-list">
${row('Name', nameOf(detail.patient?.name))}
${row('NHS number', nhsNumber(detail.patient, t))}
${row('Date of birth', detail.patient?.birthDate ?? 'Not known')}
</dl>
<h2>Triage</h2>
<dl class="nhsuk-summary-list">
${row('Outcome', t.businessStatus?.coding?.[0]?.display ?? t.businessStatus?.coding?.[0]?.code ?? 'Not known')}
${row('Reasons', t.businessStatus?.text ?? 'None recorded')}
${row('Summary', t.note?.[0]?.text ?? 'None')}
</dl>
${outputs.length === 0 ? '' : html`<h3>Services and signposts</h3><ul>${outputs}</ul>`}
${actions.length === 0
  ? html`<p>${detail.mayUpdate ? 'This Task is in a final status: it can no longer be changed.' : 'Only the owning partnership can change this Task.'}</p>`
  : html`<h2>Change the status</h2>
<div class="console-task-actions">
${actions.map((a) => {
  const form = (inner: SafeHtml | string): SafeHtml => html`<form action="${CONSOLE}/tasks/${t.id}" method="post" novalidate>${csrfField(csrfToken)}<input type="hidden" name="version" value="${version}"><input type="hidden" name="action" value="${a}">${inner}<button class="nhsuk-button${a === 'reject' ? ' nhsuk-button--warning' : ''}" data-module="nhsuk-button" data-prevent-double-click="true" type="submit">${TASK_ACTIONS[a].label}</button></form>`
  if (a === 'reject') {
    const bad = problem?.field === 'reason'
    return form(html`<div class="nhsuk-form-group${bad ? ' nhsuk-form-group--error' : ''}"><label class="nhsuk-label" for="reason-input">Reason for rejecting</label>${bad ? html`<span class="nhsuk-error-message" id="reason-error"><span class="nhsuk-u-visually-hidden">Error:</span> ${problem.message}</span>` : ''}<textarea class="nhsuk-textarea${bad ? ' nhsuk-textarea--error' : ''}" id="reason-input" name="reason" rows="2"${bad ? ' aria-describedby="reason-error"' : ''}></textarea></div>`)
  }
  if (a === 'complete') {
    const bad = problem?.field === 'outcome'
    return form(html`<div class="nhsuk-form-group${bad ? ' nhsuk-form-group--error' : ''}"><label class="nhsuk-label" for="outcome-input">Outcome</label>${bad ? html`<span class="nhsuk-error-message" id="outcome-error"><span class="nhsuk-u-visually-hidden">Error:</span> ${problem.message}</span>` : ''}<select class="nhsuk-select${bad ? ' nhsuk-select--error' : ''}" id="outcome-input" name="outcome"${bad ? ' aria-describedby="outcome-error"' : ''}><option value="">Select an outcome</option>${Object.entries(REFERRAL_OUTCOMES).map(([code, display]) => html`<option value="${code}">${display}</option>`)}</select></div>`)
  }
  return form('')
})}
</div>`}
<p><a href="${CONSOLE}">Back</a></p>`
}

export function referralsPage (odsCodes: readonly string[], tasks: readonly TaskSummary[]): SafeHtml {
  return html`<h1>My referrals</h1>
<p>Referrals from ${odsCodes.length > 5 ? `${odsCodes.length} practices` : odsCodes.join(', ')}, newest first.</p>
${tasks.length === 0
  ? html`<p>No referrals yet.</p>`
  : table(`${tasks.length} referral${tasks.length === 1 ? '' : 's'}`, ['Reference', 'Partnership', 'Status', 'Outcome', 'Sent', 'Last changed'],
    tasks.map((t) => [html`<a href="${CONSOLE}/tasks/${t.id}">${t.reference ?? t.id}</a>`, t.ownerName, statusTag(t.status), t.outcome === undefined ? 'None yet' : (REFERRAL_OUTCOMES[t.outcome] ?? t.outcome), when(t.authoredOn), when(t.lastModified)]))}`
}
