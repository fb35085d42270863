import type { Reference, ServiceRequest, Task } from '@medplum/fhirtypes'
import { previewDecision, type DecisionTables } from '../referral/decide-referral.ts'
import { containedPackage, patientByIdentifier } from '../referral/referral-package.ts'
import type { Partnership } from '../routing/partnership.ts'

/** What previewTask needs: the referral, the partnership it is mapped for, and the decision tables. */
export interface PreviewTaskInput {
  /**
   * the ServiceRequest as stored, its resources contained (a transaction's inlined with
   * inlineStoredResources); its id becomes Task.basedOn/focus
   */
  serviceRequest: ServiceRequest
  /** the partnership whose mapping the Task is for; it owns the Task */
  partnership: Partnership
  /** every partnership's routing and rules (referral/load-decision-tables.ts) */
  tables: DecisionTables
  now: Date
  taskId: string
  /** Task.for; defaults to the contained Patient's NHS number, as the intake does */
  patient?: Reference
}

/** The Task, and where routing would have sent the referral (when not to this partnership). */
export interface PreviewTask {
  task: Task
  /** undefined when the referral routes to the partnership asked for, else why not */
  routeNote?: string
}

/**
 * The triage Task the gateway would give a referral, from the intake's own decision
 * (referral/decide-referral.ts), stored nowhere. It is owned by the partnership asked for even
 * when the referral would route elsewhere (the caller wants that partnership's mapping);
 * routeNote then says so.
 * @throws Error when the partnership has no lead ICB on `now`
 * @throws OperationOutcomeError 422 when the ServiceRequest does not name its contained Patient
 */
export function previewTask (input: PreviewTaskInput): PreviewTask {
  const { serviceRequest, partnership, now } = input
  const { task, routed } = previewDecision(input.tables, containedPackage(serviceRequest), partnership, {
    taskId: input.taskId,
    serviceRequestId: serviceRequest.id ?? 'preview',
    patient: input.patient ?? patientByIdentifier(serviceRequest)
  }, now)
  if (!routed.ok) {
    return { task, routeNote: `the referral is unroutable (${routed.reason})` }
  }
  if (routed.partnership.id !== partnership.id) {
    return { task, routeNote: `the referral routes to ${routed.partnership.id}, not ${partnership.id}` }
  }
  return { task }
}
