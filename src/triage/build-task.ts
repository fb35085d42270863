import type { ContactPoint, Extension, Reference, Task, TaskOutput } from '@medplum/fhirtypes'
import type { IcbPeriod, Partnership } from '../routing/partnership.ts'
import { EXTENSIONS, SYSTEMS, WORKWELL_BASE } from '../fhir/systems.ts'
import type { LocalService } from './rules.ts'
import { outcomeDisplay } from './triage-code-systems.ts'
import type { TriageOutput, TriageResult } from './triage-result.ts'
import { referenceIdentifier } from '../reference/referral-reference.ts'

export const TRIAGE_TASK_PROFILE = `${WORKWELL_BASE}/StructureDefinition/WorkWell-TriageTask`

/**
 * The local service that provides an output, as a complex extension (R4 extensibility.html):
 * `name`, one `telecom` (ContactPoint) per way to reach it, and `instructions`.
 */
export const LOCAL_SERVICE_EXTENSION = `${WORKWELL_BASE}/StructureDefinition/triage-local-service`

/**
 * Task.status that matches the triage outcome (R4 task-status; the Task state machine). A
 * referral asks the partnership to act: requested, or on hold until what is missing arrives.
 * Clinical review (a coded risk or exclusion), and a signposted or ineligible referral whose
 * coded facts do not rule risk out, stay requested for a clinician at the partnership: the
 * machine never closes them (docs/hazard-log.md H4). Other advice-only triage (a proposal:
 * "what would happen") asks nothing of anyone, so its Task is finished the moment it is
 * answered and never appears in a partnership's worklist of requested or on-hold Tasks, where
 * it could be taken for a referral the person never agreed to (docs/hazard-log.md H3).
 */
export function taskStatus (triage: Pick<TriageResult, 'outcome' | 'referral' | 'review'>): Task['status'] {
  if (triage.outcome === 'clinical-review' || triage.review !== undefined) return 'requested'
  if (triage.outcome === 'ineligible') return 'rejected'
  if (!triage.referral || triage.outcome === 'signpost-only') return 'completed'
  return triage.outcome === 'eligible-refer' ? 'requested' : 'on-hold'
}

export interface TaskInput {
  id: string
  serviceRequestId: string
  /** Task.for: a literal reference when the Patient is stored on its own, else by NHS number */
  patient: Reference
  requester?: Task['requester']
  partnership: Partnership
  icb: IcbPeriod
  triage: TriageResult
  now: Date
  /** the referral's human-readable reference (src/reference/), when it has one */
  reference?: string
}

/** Builds the triage Task (FHIR R4 Task; each output names its rule, docs/triage-rules.md). Pure. */
export function buildTriageTask (input: TaskInput): Task {
  const { triage, partnership, icb } = input
  const at = input.now.toISOString()
  const task: Task = {
    resourceType: 'Task',
    id: input.id,
    meta: { versionId: '1', lastUpdated: at, profile: [TRIAGE_TASK_PROFILE] },
    extension: [{ url: EXTENSIONS.triageRulesVersion, valueString: triage.rulesVersion }],
    basedOn: [{ reference: `ServiceRequest/${input.serviceRequestId}` }],
    status: taskStatus(triage),
    businessStatus: {
      coding: [{ system: SYSTEMS.triageOutcome, code: triage.outcome, display: outcomeDisplay(triage.outcome) }],
      text: triage.reasons.join('; ')
    },
    intent: 'order',
    priority: triage.priority,
    focus: { reference: `ServiceRequest/${input.serviceRequestId}` },
    for: input.patient,
    authoredOn: at,
    lastModified: at,
    owner: {
      reference: `Organization/${partnership.id}`,
      type: 'Organization',
      identifier: { system: SYSTEMS.odsOrganisation, value: icb.odsCode },
      display: partnership.name
    },
    note: [{ time: at, text: triage.summary }]
  }
  if (input.requester !== undefined) task.requester = input.requester
  const why = [
    ...(triage.review === undefined ? [] : [triage.review.charAt(0).toUpperCase() + triage.review.slice(1)]),
    ...(triage.missing.length > 0 ? [`Missing: ${triage.missing.map((m) => m.what).join(', ')}`] : [])
  ]
  if (why.length > 0) task.statusReason = { text: why.join('; ') }
  if (input.reference !== undefined) {
    // the reference people quote on the phone: an identifier, and said first in the note
    task.identifier = [referenceIdentifier(input.reference)]
    task.note = [{ time: at, text: `Referral reference ${input.reference}. ${triage.summary}` }]
  }
  const outputs = triage.outputs.map(taskOutput)
  if (outputs.length > 0) task.output = outputs
  return task
}

function localServiceExtension (local: LocalService): Extension {
  const telecom: ContactPoint[] = []
  if (local.phone !== undefined) telecom.push({ system: 'phone', value: local.phone })
  if (local.url !== undefined) telecom.push({ system: 'url', value: local.url })
  return {
    url: LOCAL_SERVICE_EXTENSION,
    extension: [
      { url: 'name', valueString: local.name },
      ...telecom.map((t): Extension => ({ url: 'telecom', valueContactPoint: t })),
      ...(local.text === undefined ? [] : [{ url: 'instructions', valueString: local.text }])
    ]
  }
}

/** One Task.output: the coded service or signpost, the rule and reason first, then the local service. */
function taskOutput (o: TriageOutput): TaskOutput {
  const output: TaskOutput = {
    extension: [{ url: EXTENSIONS.triageReason, valueString: `${o.rule}: ${o.reason}` }],
    type: { coding: [{ system: SYSTEMS.triageOutput, code: o.kind === 'service' ? 'recommended-service' : 'signpost' }] },
    valueCodeableConcept: {
      coding: [{ system: o.kind === 'service' ? SYSTEMS.serviceType : SYSTEMS.signpostType, code: o.code, display: o.display }]
    }
  }
  if (o.local !== undefined) {
    output.extension?.push(localServiceExtension(o.local))
    // The text names the local service, so a reader without the extension still sees it.
    if (output.valueCodeableConcept !== undefined) output.valueCodeableConcept.text = `${o.display}: ${o.local.name}`
  }
  return output
}
