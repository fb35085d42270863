import { withReference } from '../reference/referral-reference.ts'
import type { OperationOutcomeIssue, Reference, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { auditRecord } from '../audit/audit-record.ts'
import type { Clock } from '../clock.ts'
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts'
import { hasErrors, issue, OperationOutcomeError, outcomeError, withBarsCode } from '../fhir/operation-outcome.ts'
import { SYSTEMS } from '../fhir/systems.ts'
import type { RoutingIndex } from '../routing/route-referral.ts'
import { ReferenceTakenError, RequestIdAlreadyDoneError } from '../store/store-errors.ts'
import type { AuditRecord } from '../store/audit-store.ts'
import type { OutboxStore } from '../store/outbox-store.ts'
import type { RequestIdClaim, RequestIdStore } from '../store/request-id-store.ts'
import type { ResourceScope, ResourceStore, StoredResource } from '../store/resource-store.ts'
import type { DuplicateIndex } from '../store/duplicate-index.ts'
import { odsCodeOf } from '../fhir/ods-reference.ts'
import type { ResolvedRules } from '../triage/rules.ts'
import type { TriageResult } from '../triage/triage-result.ts'
import type { ResourceValidator } from '../validation/validator.ts'
import { finaliseIssues } from '../validation/issues.ts'
import { WORKWELL_REFERRAL_PROFILE } from '../validation/profiles.ts'
import { decideReferral, type DecisionTables, type ReferralDecision, type TaskFrame } from '../referral/decide-referral.ts'
import type { ReferralPackage } from '../referral/referral-package.ts'
import { type DuplicateSettings, duplicateLinks, flagDuplicates, linkAudit, MAX_DUPLICATE_LINKS, patientKey, windowStart } from './duplicate-referrals.ts'

export interface IntakeDeps {
  /** the referral's resources and X-Request-Id claims; a BaRS change or cancellation also looks up its outbox rows */
  store: ResourceStore & DuplicateIndex & RequestIdStore & Pick<OutboxStore, 'listDeliveries'>
  validator: ResourceValidator
  routing: RoutingIndex
  /** triage rules per partnership id (src/triage/load-triage-rules.ts) */
  triageRules: Map<string, ResolvedRules>
  clock: Clock
  newId: () => string
  requestIdStaleMs: number
  /** the next human-readable referral reference (src/reference/); without it referrals get none */
  newReference?: () => string
  /** counts each stored referral by its triage outcome (workwell_triage_outcomes_total) */
  metrics?: Pick<GatewayMetrics, 'triageOutcome'>
  /** links the same person's referrals (duplicate-referrals.ts); without it none are linked */
  duplicates?: DuplicateSettings
}

/** A referral ready for the pipeline: validated input plus the resources to store, ids assigned. */
export interface PreparedReferral {
  pkg: ReferralPackage
  /** ServiceRequest first; for a transaction also the Patient and supporting resources */
  resources: Resource[]
  serviceRequestId: string
  /** Task.for: a stored Patient, or the NHS number when the Patient is contained */
  patient: Reference
}

export interface AcceptedReferral {
  serviceRequest: StoredResource
  task: StoredResource
  stored: StoredResource[]
  triage: TriageResult
  partnershipId: string
  queuedForDelivery: boolean
}

export interface IntakeContext {
  requestId?: string
  correlationId: string
  /** who is calling, for the audit trail (client id or ODS code; never a person's name) */
  agent: string
  /**
   * the practices the caller may refer for: the referral's requester must name one of them by
   * ODS code. Absent only where no caller is involved (previews from the command line).
   */
  referrerOds?: readonly string[]
  /**
   * the partnership the sender addressed, when it named a partnership's own BaRS service id:
   * the referral must route there, never to another partnership (src/bars/bars-services.ts)
   */
  addressed?: { partnershipId: string, serviceId: string, expression: string }
}

/**
 * Whose a referral's resources are (store.ts ResourceScope): the referral, the ODS code of its
 * requester, and the partnership it is routed to.
 */
export function referralScope (serviceRequestId: string, requester: Reference | undefined, owner: string): ResourceScope {
  const ods = odsCodeOf(requester)
  return { referralId: serviceRequestId, owner, ...(ods === undefined ? {} : { requesterOds: ods }) }
}

/** Prefixes validator expressions with the path of the resource in the request. */
function relocate (issues: OperationOutcomeIssue[], resourceType: string, path: string): OperationOutcomeIssue[] {
  if (path === resourceType) return issues
  return issues.map((i) => ({
    ...i,
    expression: i.expression?.map((e) => (e === resourceType || e.startsWith(`${resourceType}.`) || e.startsWith(`${resourceType}[`) ? path + e.slice(resourceType.length) : e))
  }))
}

/** A resource to validate, where it sits in the request, and the profile the door requires of it. */
export interface LocatedResource {
  resource: unknown
  /** FHIRPath of the resource in the body: its type at the root, else e.g. Bundle.entry[1].resource */
  path: string
  resourceType: string
  /** checked whether or not the resource claims it in meta.profile */
  profile?: string
}

/**
 * Validates every resource of a referral; profile failures are 422 (R4 http.html §3.1.0.4).
 * A resource checked twice (a Bundle, then its ServiceRequest entry against the required
 * profile) reports each finding once: a later finding of the same severity and code at the
 * same element is the same problem worded from the entry's side, and is dropped.
 */
export function validateReferral (validator: ResourceValidator, located: readonly LocatedResource[]): OperationOutcomeIssue[] {
  let all: OperationOutcomeIssue[] = []
  const seen = new Set<string>()
  const keyOf = (i: OperationOutcomeIssue): string => JSON.stringify([i.severity, i.code, i.expression ?? []])
  for (const [n, l] of located.entries()) {
    for (const found of relocate(validator.validate(l.resource, l.profile === undefined ? undefined : { profile: l.profile }), l.resourceType, l.path)) {
      const key = keyOf(found)
      if (n > 0 && seen.has(key)) continue
      seen.add(key)
      all.push(found)
    }
  }
  if (located.length > 1) all = finaliseIssues(all)
  if (hasErrors(all)) {
    throw new OperationOutcomeError(422, all)
  }
  return all
}

/**
 * The write path: claim the X-Request-Id, route, triage, build the Task, and store the
 * ServiceRequest, the Task, the outbox row and the audit events in ONE transaction before the
 * caller answers 2xx (docs/decisions/outbox-delivery.md). Any failure releases the claim so the
 * sender's retry is processed afresh (BaRS Transactional-integrity: a failed original is
 * answered with its own error, not 409).
 */
export async function acceptReferral (deps: IntakeDeps, prepared: PreparedReferral, ctx: IntakeContext): Promise<AcceptedReferral> {
  const { store, clock } = deps
  const now = clock.now()
  if (ctx.requestId !== undefined) {
    const refused = repeatRefusal(await store.claimRequestId(ctx.requestId, now, deps.requestIdStaleMs))
    if (refused !== undefined) throw refused
  }
  try {
    return await withFreshReference(async () => process(deps, prepared, ctx, now))
  } catch (err) {
    if (ctx.requestId !== undefined) {
      if (err instanceof RequestIdAlreadyDoneError) {
        // Another instance took over our stale claim and finished first; answer as a repeat.
        const claim = await store.claimRequestId(ctx.requestId, now, deps.requestIdStaleMs)
        if (claim.kind === 'done') throw duplicate(claim.serviceRequestId, claim.taskId)
      }
      await store.releaseRequestId(ctx.requestId)
    }
    throw err
  }
}

/** How many references one referral save tries before it gives up. */
export const REFERENCE_ATTEMPTS = 5

/**
 * Runs a referral save again, with the next reference, while the store says its reference is
 * already another referral's (gateways sharing a database draw references independently; the
 * unique index decides, docs/referral-reference.md). Bounded: past REFERENCE_ATTEMPTS the
 * generator is broken, and the sender is told to retry (503, nothing stored) rather than
 * answered 500 or left without its referral.
 */
async function withFreshReference<T> (save: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await save()
    } catch (err) {
      if (!(err instanceof ReferenceTakenError)) throw err
      if (attempt >= REFERENCE_ATTEMPTS) {
        throw new OperationOutcomeError(503, [issue('error', 'transient', `No free referral reference after ${attempt} attempts; nothing was stored, send the referral again`)], { 'Retry-After': '1' })
      }
    }
  }
}

/**
 * The answer to a repeated X-Request-Id (BaRS Transactional-integrity): 409 duplicate when it
 * was processed, 425 while it still is; undefined when the claim is ours. Shared with the
 * BaRS update path (src/bars/), which claims the same ids.
 */
export function repeatRefusal (claim: RequestIdClaim): OperationOutcomeError | undefined {
  if (claim.kind === 'done') return duplicate(claim.serviceRequestId, claim.taskId)
  if (claim.kind === 'in-flight') {
    return new OperationOutcomeError(425, [
      withBarsCode(issue('error', 'duplicate', 'A request with this X-Request-Id is still being processed; retry later', 'X-Request-Id'), 425)
    ], { 'Retry-After': '1' })
  }
  return undefined
}

/** 409 duplicate: the X-Request-Id was already processed (BaRS reserves this pair for it). */
export function duplicate (serviceRequestId: string, taskId: string): OperationOutcomeError {
  return new OperationOutcomeError(409, [
    withBarsCode(issue('error', 'duplicate', `This X-Request-Id was already processed: ServiceRequest/${serviceRequestId}, Task/${taskId}`, 'X-Request-Id'), 409)
  ], { 'Content-Location': `ServiceRequest/${serviceRequestId}` })
}

/**
 * Everything intake decides about a referral before it stores it: the requester is one the
 * caller may refer for, then the one decision (referral/decide-referral.ts: its Patient,
 * route, triage and Task). Pure. `$validate` with mode=create runs exactly this after the same
 * preparation, so it answers what a create would.
 *
 * @throws OperationOutcomeError 403 or 422, with the element's path, where a create would fail
 */
export function decideIntake (tables: DecisionTables, prepared: PreparedReferral, ctx: Pick<IntakeContext, 'referrerOds' | 'addressed'>, frame: Pick<TaskFrame, 'taskId' | 'reference'>, now: Date): ReferralDecision {
  const { pkg } = prepared
  checkRequester(pkg.serviceRequest, pkg.serviceRequestPath, ctx.referrerOds)
  const decision = decideReferral(tables, pkg, { ...frame, serviceRequestId: prepared.serviceRequestId, patient: prepared.patient }, now)
  const { route } = decision
  const addressed = ctx.addressed
  if (addressed !== undefined && addressed.partnershipId !== route.partnership.id) {
    throw outcomeError(422, 'business-rule', `${addressed.serviceId} is ${addressed.partnershipId}'s service, but this referral belongs to ${route.partnership.id} (by ${route.by} ${route.key}); send it to ${route.partnership.id}'s service`, addressed.expression)
  }
  return decision
}

async function process (deps: IntakeDeps, prepared: PreparedReferral, ctx: IntakeContext, now: Date): Promise<AcceptedReferral> {
  const { pkg } = prepared
  const taskId = deps.newId()
  const reference = deps.newReference?.()
  const { facts, route, triage, task: decided, deliver } = decideIntake(deps, prepared, ctx, { taskId, ...(reference === undefined ? {} : { reference }) }, now)
  const requesterOds = odsCodeOf(pkg.serviceRequest.requester)
  const nhsNumber = facts.patientIdentifier?.value
  // only referrals are linked: a proposal (advice only, "what would happen") refers no one
  const key = deps.duplicates === undefined || nhsNumber === undefined || !facts.isReferral ? undefined : patientKey(nhsNumber, deps.duplicates.key)
  // the gateway's own lookup across every referrer and partnership; duplicateLinks decides
  // what of it the new Task (which its referrer reads) may say
  // one more than is linked, to know whether there were more
  const earlier = key === undefined || deps.duplicates === undefined
    ? []
    : await deps.store.referralsByPatientKey(key, windowStart(now, deps.duplicates.windowDays), MAX_DUPLICATE_LINKS + 1)
  const links = duplicateLinks(earlier.slice(-MAX_DUPLICATE_LINKS), { ...(requesterOds === undefined ? {} : { requesterOds }), partnershipId: route.partnership.id })
  const at = now.toISOString()
  const task = flagDuplicates(decided, links, deps.duplicates?.windowDays ?? 0, at, earlier.length > MAX_DUPLICATE_LINKS)
  const stamp = (r: Resource): StoredResource => {
    const resource = { ...r, meta: { ...r.meta, versionId: '1', lastUpdated: at } } as Resource
    return { resourceType: r.resourceType, id: r.id as string, versionId: '1', lastUpdated: at, resource, json: JSON.stringify(resource) }
  }
  const stored = (reference === undefined ? prepared.resources : prepared.resources.map((r) => referenced(r, prepared.serviceRequestId, reference))).map(stamp)
  // stamped and serialised last: nothing changes these resources between here and the save,
  // so the text stored and the text answered are one (StoredResource.json)
  const storedTask: StoredResource = { resourceType: 'Task', id: taskId, versionId: '1', lastUpdated: at, resource: task, json: JSON.stringify(task) }
  const srStored = stored.find((s) => s.resourceType === 'ServiceRequest' && s.id === prepared.serviceRequestId)
  if (srStored === undefined) {
    throw new Error('prepared referral lacks its ServiceRequest')
  }
  const audit: AuditRecord[] = [...stored, storedTask].map((s) => auditRecord(deps.newId(), now, {
    action: 'C', subtype: 'create', agent: ctx.agent, entity: `${s.resourceType}/${s.id}`, correlationId: ctx.correlationId
  })).concat(linkAudit(links, deps.newId, now, ctx.agent, ctx.correlationId))
  await deps.store.saveReferral({
    ...(ctx.requestId === undefined ? {} : { requestId: ctx.requestId }),
    resources: [...stored, storedTask],
    task: { id: taskId, basedOn: `ServiceRequest/${prepared.serviceRequestId}`, owner: route.partnership.id, status: task.status, lastUpdated: at, ...(reference === undefined ? {} : { reference }) },
    serviceRequestId: prepared.serviceRequestId,
    scope: referralScope(prepared.serviceRequestId, pkg.serviceRequest.requester, route.partnership.id),
    ...(deliver
      ? { outbox: { id: deps.newId(), partnershipId: route.partnership.id, serviceRequestId: prepared.serviceRequestId, taskId, createdAt: at } }
      : {}),
    audit,
    ...(key === undefined ? {} : { patientKey: key })
  })
  deps.metrics?.triageOutcome(triage.outcome, route.partnership.id)
  return { serviceRequest: srStored, task: storedTask, stored, triage, partnershipId: route.partnership.id, queuedForDelivery: deliver }
}

/** The referral's ServiceRequest with the gateway's reference added to its identifiers. */
function referenced (r: Resource, serviceRequestId: string, reference: string): Resource {
  return r.resourceType === 'ServiceRequest' && r.id === serviceRequestId ? withReference(r, reference) : r
}

/**
 * A referral is made for a practice, named by its ODS code, that the caller may refer for:
 * without the code no referrer could read the referral back, and with another practice's the
 * caller would be writing into that practice's records.
 *
 * @throws OperationOutcomeError 422 without an ODS code, 403 with one that is not the caller's
 */
export function checkRequester (sr: ServiceRequest, path: string, referrerOds: readonly string[] | undefined): void {
  if (referrerOds === undefined) return
  const ods = odsCodeOf(sr.requester)
  if (ods === undefined) {
    throw outcomeError(422, 'business-rule', `ServiceRequest.requester must name the referring practice by its ODS code (identifier system ${SYSTEMS.odsOrganisation})`, `${path}.requester`)
  }
  if (!referrerOds.includes(ods)) throw outcomeError(403, 'forbidden', `This client may not refer for ODS code ${ods}`, `${path}.requester`)
}

/**
 * A referral Bundle for validation: the Bundle, and its ServiceRequest entry against the
 * profile the door requires (WorkWell-Referral unless it says otherwise) whether or not the
 * entry claims it (a ServiceRequest that does not claim the profile is still a WorkWell referral).
 */
export function referralBundleToValidate (bundle: unknown, profile = WORKWELL_REFERRAL_PROFILE): LocatedResource[] {
  const located: LocatedResource[] = [{ resource: bundle, path: 'Bundle', resourceType: 'Bundle' }]
  const entries = bundle !== null && typeof bundle === 'object' ? (bundle as { entry?: unknown }).entry : undefined
  if (!Array.isArray(entries)) return located
  const at = entries.findIndex((e: unknown) => (e as { resource?: { resourceType?: unknown } } | null)?.resource?.resourceType === 'ServiceRequest')
  const sr = at < 0 ? undefined : (entries[at] as { resource: { meta?: { profile?: unknown } } }).resource
  // an entry that claims the profile had it applied in the Bundle's own pass: no second pass
  const claims = sr?.meta?.profile
  if (sr !== undefined && !(Array.isArray(claims) && claims.includes(profile))) {
    located.push({ resource: sr, path: `Bundle.entry[${at}].resource`, resourceType: 'ServiceRequest', profile })
  }
  return located
}
