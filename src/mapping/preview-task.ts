import type { Reference, ServiceRequest, Task } from '@medplum/fhirtypes'
import { patientByIdentifier } from '../intake/accept-referral.ts'
import { extractFacts } from '../intake/referral-facts.ts'
import type { ReferralFacts } from '../intake/referral-facts.ts'
import { containedPackage } from '../intake/referral-package.ts'
import type { Partnership } from '../routing/partnership.ts'
import type { RoutingIndex } from '../routing/route-referral.ts'
import { buildRoutingIndex, icbOn, routeReferral } from '../routing/route-referral.ts'
import { buildTriageTask } from '../triage/build-task.ts'
import { loadTriageRules } from '../triage/load-triage-rules.ts'
import { triageRouted } from '../triage/triage-routed.ts'
import type { TriageResult } from '../triage/triage-result.ts'

/** Triage of one referral for one partnership on one day, as the intake does it. */
export type PreviewTriage = (facts: ReferralFacts, partnership: Partnership, on: Date) => TriageResult

/**
 * The intake's triage (triageRouted: the routed partnership's rules, naming the person's own
 * pilot when that is another one) over every partnership given, rules read from mappingsDir.
 * Every partnership's rules are loaded, because the home pilot's service comes from its own
 * rule file; with fewer, a preview could differ from what intake writes (docs/hazard-log.md H9).
 * @param mappingsDir - the mappings/ folder (national-baseline.json, <id>/triage-rules.json)
 * @param partnerships - every partnership of the directory
 */
export async function loadPreviewTriage (mappingsDir: string, partnerships: Iterable<Partnership>): Promise<PreviewTriage> {
  const all = [...partnerships]
  const rules = await loadTriageRules(mappingsDir, all.map((p) => p.id))
  const routing = buildRoutingIndex(all)
  return (facts, partnership, on) => triageRouted(facts, partnership, routing, rules, on)
}

/** What previewTask needs: the referral, the partnership it is mapped for, and routing. */
export interface PreviewTaskInput {
  /**
   * the ServiceRequest as stored, its resources contained (a transaction's inlined with
   * inlineStoredResources); its id becomes Task.basedOn/focus
   */
  serviceRequest: ServiceRequest
  /** the partnership whose mapping the Task is for; it owns the Task */
  partnership: Partnership
  routing: RoutingIndex
  triage: PreviewTriage
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
 * The triage Task the gateway would give a referral, built with the same pure pipeline as
 * the intake and the `triage` command (extractFacts → routeReferral → triage →
 * buildTriageTask), stored nowhere. It is owned by the partnership asked for even when the
 * referral would route elsewhere (the caller wants that partnership's mapping); routeNote
 * then says so.
 * @throws Error when the partnership has no lead ICB on `now`
 */
export function previewTask (input: PreviewTaskInput): PreviewTask {
  const { serviceRequest, partnership, now } = input
  const facts = extractFacts(containedPackage(serviceRequest))
  const route = routeReferral(facts, input.routing, now)
  const icb = icbOn(partnership, now)
  if (icb === undefined) {
    throw new Error(`partnership ${partnership.id} has no lead ICB on ${now.toISOString()}`)
  }
  const task = buildTriageTask({
    id: input.taskId,
    serviceRequestId: serviceRequest.id ?? 'preview',
    patient: input.patient ?? patientByIdentifier(serviceRequest),
    ...(serviceRequest.requester === undefined ? {} : { requester: serviceRequest.requester as Task['requester'] }),
    partnership,
    icb,
    triage: input.triage(facts, partnership, now),
    now
  })
  if (!route.ok) {
    return { task, routeNote: `the referral is unroutable (${route.reason})` }
  }
  if (route.partnership.id !== partnership.id) {
    return { task, routeNote: `the referral routes to ${route.partnership.id}, not ${partnership.id}` }
  }
  return { task }
}
