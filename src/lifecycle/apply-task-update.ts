import type { Annotation, OperationOutcomeIssue, Task, TaskOutput } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import { PARTNERSHIP_OUTPUT, PARTNERSHIP_OUTPUT_SYSTEM, REFERRAL_OUTCOME_SYSTEM, isOutcomeOutput, partnershipOutputType } from './lifecycle-codes.ts'
import { jsonEqual } from '../json-equal.ts'
import { checkTransition } from './task-transitions.ts'

/**
 * The top-level Task elements a partnership may change. Everything else — basedOn, focus,
 * for, owner, requester, intent, priority, authoredOn, the triage extension, … — is the
 * gateway's record of the referral and its triage and stays as stored. note and output are
 * append-only: existing entries (the triage summary, recommended services, signposts) stay.
 */
export const MUTABLE_ELEMENTS: readonly string[] = ['status', 'statusReason', 'businessStatus', 'note', 'output', 'executionPeriod']

/** Set by the server on every new version; whatever a client sends for them is ignored. */
export const SERVER_SET_ELEMENTS: readonly string[] = ['meta', 'lastModified']

/** The outcome of {@link applyTaskUpdate}. */
export type TaskUpdateVerdict =
  | { ok: true, task: Task }
  | { ok: false, issues: OperationOutcomeIssue[] }

/**
 * The version after `versionId`. The gateway numbers versions 1, 2, 3 … (meta.versionId).
 *
 * @throws TypeError when the stored version is not such a number (a store bug)
 */
export function nextVersionId (versionId: string | undefined): string {
  const n = Number(versionId)
  if (versionId === undefined || !/^[1-9][0-9]*$/.test(versionId) || !Number.isSafeInteger(n + 1)) {
    throw new TypeError(`stored versionId ${String(versionId)} is not a version number`)
  }
  return String(n + 1)
}

function elementIssue (name: string): OperationOutcomeIssue {
  return issue('error', 'business-rule', `Task.${name} is kept by the gateway and cannot be changed; a partnership may change ${MUTABLE_ELEMENTS.join(', ')}`, `Task.${name}`)
}

/** Existing entries of an append-only list must come back unchanged and in order. */
function appendOnly (name: 'note' | 'output', current: unknown, proposed: unknown): OperationOutcomeIssue[] {
  const before = Array.isArray(current) ? current : []
  if (proposed !== undefined && !Array.isArray(proposed)) {
    return [issue('error', 'structure', `Task.${name} must be an array`, `Task.${name}`)]
  }
  const after: unknown[] = proposed ?? []
  for (let i = 0; i < before.length; i++) {
    if (i >= after.length || !jsonEqual(before[i], after[i])) {
      return [issue('error', 'business-rule', `Task.${name} is append-only: entry ${i} was changed or removed; send existing entries unchanged and add new ones after them`, `Task.${name}[${i}]`)]
    }
  }
  return []
}

/** A partnership may add only its own outputs: an outcome, or its case reference. */
function newOutputIssues (output: TaskOutput, path: string): OperationOutcomeIssue[] {
  if (output === null || typeof output !== 'object') {
    return [issue('error', 'structure', 'A Task.output entry must be an object', path)]
  }
  switch (partnershipOutputType(output)) {
    case PARTNERSHIP_OUTPUT.outcome:
      return isOutcomeOutput(output)
        ? []
        : [issue('error', 'code-invalid', `An outcome output needs valueCodeableConcept with a code from ${REFERRAL_OUTCOME_SYSTEM}`, `${path}.valueCodeableConcept`)]
    case PARTNERSHIP_OUTPUT.partnerReference: {
      const ref = output.valueIdentifier?.value ?? output.valueString
      return typeof ref === 'string' && ref.trim() !== ''
        ? []
        : [issue('error', 'required', 'A partner-reference output needs valueIdentifier (with a value) or valueString', path)]
    }
    default:
      return [issue('error', 'business-rule',
        `A partnership may add outputs typed ${PARTNERSHIP_OUTPUT_SYSTEM}#${PARTNERSHIP_OUTPUT.outcome} or #${PARTNERSHIP_OUTPUT.partnerReference} only`, `${path}.type`)]
  }
}

/** New notes get the server's time when they carry none, so the referrer sees when each was added. */
function stampNotes (notes: Annotation[] | undefined, from: number, at: string): Annotation[] | undefined {
  if (notes === undefined) return undefined
  return notes.map((n, i) => (i >= from && n !== null && typeof n === 'object' && n.time === undefined ? { ...n, time: at } : n))
}

/**
 * Applies a partnership's proposed Task (from a PUT body, or the stored Task with a JSON
 * Patch applied) to the stored one. Pure.
 *
 * Only the mutable elements are taken from `proposed`; a gateway-owned element that differs
 * is refused with its path; note and output may only grow; the status change must pass the
 * state machine (task-transitions.ts). On success the Task gets the next meta.versionId,
 * and meta.lastUpdated and lastModified are set to `now` (R4 http.html: the server owns meta).
 *
 * @param current the stored Task (the version the client's If-Match named)
 * @param proposed the Task as the client wants it; its id must already have been checked
 */
export function applyTaskUpdate (current: Task, proposed: Task, now: Date): TaskUpdateVerdict {
  const issues: OperationOutcomeIssue[] = []
  const cur = current as unknown as Record<string, unknown>
  const prop = proposed as unknown as Record<string, unknown>
  const fixed = new Set(['resourceType', 'id', ...MUTABLE_ELEMENTS, ...SERVER_SET_ELEMENTS])
  const names = [...new Set([...Object.keys(cur), ...Object.keys(prop)])].filter((k) => !fixed.has(k))
  for (const name of names) {
    if (!jsonEqual(cur[name], prop[name])) issues.push(elementIssue(name))
  }
  issues.push(...appendOnly('note', current.note, prop.note))
  issues.push(...appendOnly('output', current.output, prop.output))
  if (issues.length > 0) return { ok: false, issues }

  const before = current.output?.length ?? 0
  proposed.output?.slice(before).forEach((o, i) => { issues.push(...newOutputIssues(o, `Task.output[${before + i}]`)) })
  if (issues.length > 0) return { ok: false, issues }

  const at = now.toISOString()
  const next: Record<string, unknown> = { ...cur }
  for (const name of MUTABLE_ELEMENTS) {
    if (prop[name] === undefined) delete next[name]
    else next[name] = prop[name]
  }
  const task = next as unknown as Task
  const notes = stampNotes(task.note, current.note?.length ?? 0, at)
  if (notes !== undefined) task.note = notes
  task.meta = { ...current.meta, versionId: nextVersionId(current.meta?.versionId), lastUpdated: at }
  task.lastModified = at

  const refused = checkTransition(current, task)
  return refused.length > 0 ? { ok: false, issues: refused } : { ok: true, task }
}
