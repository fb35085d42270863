import type { Reference, Task } from '@medplum/fhirtypes'
import { outcomeError } from '../fhir/operation-outcome.ts'
import type { IcbPeriod, Partnership } from '../routing/partnership.ts'
import { icbOn, routeReferral, type RoutingDecision, type RoutingIndex } from '../routing/route-referral.ts'
import { buildTriageTask } from '../triage/build-task.ts'
import type { ResolvedRules } from '../triage/rules.ts'
import { isDeliverable, triageRouted } from '../triage/triage-routed.ts'
import type { TriageResult } from '../triage/triage-result.ts'
import { extractFacts, type ReferralFacts } from './referral-facts.ts'
import { resolvePatient, type ReferralPackage } from './referral-package.ts'

/** The tables a decision reads: the partnership directory's routing index and each partnership's triage rules. */
export interface DecisionTables {
  routing: RoutingIndex
  /** triage rules per partnership id, every partnership's (its home pilot's service comes from its own file) */
  triageRules: ReadonlyMap<string, ResolvedRules>
}

/** The identities a decided Task carries: they come from the store or the caller, never from the decision. */
export interface TaskFrame {
  taskId: string
  serviceRequestId: string
  /** Task.for: a stored Patient, or the NHS number when the Patient is contained */
  patient: Reference
  /** the referral's human-readable reference (src/reference/), when it has one */
  reference?: string
}

export interface ReferralDecision {
  facts: ReferralFacts
  /** where the referral routes (by practice, registration or postcode) */
  route: Extract<RoutingDecision, { ok: true }>
  triage: TriageResult
  /** the triage Task, owned by the routed partnership */
  task: Task
  /** whether the referral goes to its partnership (eligible or for clinical review, and consented) */
  deliver: boolean
}

/** A preview for a partnership chosen by the caller: the decision as if routed there, and where it really routes. */
export interface PreviewDecision extends Omit<ReferralDecision, 'route'> {
  partnership: Partnership
  icb: IcbPeriod
  routed: RoutingDecision
}

/**
 * The one decision on a referral, whichever door it came through and whether it is kept or
 * only previewed: facts → route → triage → Task. Intake (REST, transaction, `$triage`, BaRS new
 * and changed referrals), `$validate` with mode=create, `workwell triage`, `workwell map --task`,
 * the golden examples and the bench's durable floor all call it, so none of them can decide
 * differently (docs/hazard-log.md H9: a preview that triaged without the person's home pilot
 * once gave Tasks the intake never would). Pure: the clock's reading and the ids come in.
 *
 * @throws OperationOutcomeError 422, with the element's path, when the ServiceRequest does not
 *   name its Patient or the referral routes to no partnership
 */
export function decideReferral (tables: DecisionTables, pkg: ReferralPackage, frame: TaskFrame, now: Date): ReferralDecision {
  const facts = factsOf(pkg)
  const route = routeReferral(facts, tables.routing, now)
  if (!route.ok) throw outcomeError(422, 'business-rule', route.reason, route.expression)
  return { route, ...decideFor(tables, pkg, facts, route.partnership, route.icb, frame, now) }
}

/**
 * The same decision for a partnership the caller names (a mapping preview wants that
 * partnership's Task even for a referral that routes elsewhere); `routed` says where it would go.
 *
 * @throws OperationOutcomeError 422 when the ServiceRequest does not name its Patient
 * @throws Error when the partnership has no lead ICB on `now` (its directory entry is wrong)
 */
export function previewDecision (tables: DecisionTables, pkg: ReferralPackage, partnership: Partnership, frame: TaskFrame, now: Date): PreviewDecision {
  const facts = factsOf(pkg)
  const icb = icbOn(partnership, now)
  if (icb === undefined) throw new Error(`partnership ${partnership.id} has no lead ICB on ${now.toISOString()}`)
  return { partnership, icb, routed: routeReferral(facts, tables.routing, now), ...decideFor(tables, pkg, facts, partnership, icb, frame, now) }
}

function factsOf (pkg: ReferralPackage): ReferralFacts {
  if (resolvePatient(pkg) === undefined) {
    throw outcomeError(422, 'invalid', 'ServiceRequest.subject must reference the referral\'s Patient (contained, or an entry of the transaction)', `${pkg.serviceRequestPath}.subject`)
  }
  return extractFacts(pkg)
}

function decideFor (tables: DecisionTables, pkg: ReferralPackage, facts: ReferralFacts, partnership: Partnership, icb: IcbPeriod, frame: TaskFrame, now: Date): Omit<ReferralDecision, 'route'> {
  const triage = triageRouted(facts, partnership, tables.routing, tables.triageRules, now)
  const requester = pkg.serviceRequest.requester
  const task = buildTriageTask({
    ...(frame.reference === undefined ? {} : { reference: frame.reference }),
    id: frame.taskId,
    serviceRequestId: frame.serviceRequestId,
    patient: frame.patient,
    ...(requester === undefined ? {} : { requester: requester as Task['requester'] }),
    partnership,
    icb,
    triage,
    now
  })
  return { facts, triage, task, deliver: isDeliverable(triage, facts) }
}
