import { createHmac } from 'node:crypto'
import type { Task, TaskInput as FhirTaskInput } from '@medplum/fhirtypes'
import { auditRecord } from '../audit/audit-record.ts'
import { englandDate } from '../england-date.ts'
import { WORKWELL_BASE } from '../fhir/systems.ts'
import type { AuditRecord, KeyedReferral } from '../store/store.ts'

/** Task.input.type of a link to an earlier referral of the same person. */
export const REFERRAL_LINK_SYSTEM = `${WORKWELL_BASE}/CodeSystem/referral-link`
export const POSSIBLE_DUPLICATE = 'possible-duplicate'

/**
 * The HMAC key used when WORKWELL_DUPLICATE_KEY is not set. It is public (it is in this
 * source), so without a configured key the stored digest is only a pseudonym: every valid NHS
 * number can be tried against it (docs/decisions/duplicate-referrals.md).
 */
export const DEFAULT_DUPLICATE_KEY = 'workwell-duplicate-referrals-v1'

/**
 * The most earlier referrals one new referral is linked to: the latest ones. Without a bound, a
 * person referred many times (or a caller repeating one NHS number) would make every new Task,
 * its audit records and the lookup grow with each referral; past a handful, more links tell a
 * partnership nothing the note does not.
 */
export const MAX_DUPLICATE_LINKS = 5

/** How duplicates are found: the HMAC key and how far back an earlier referral counts. */
export interface DuplicateSettings {
  key: string
  windowDays: number
}

/**
 * The keyed digest of an NHS number that referrals are linked by (HMAC-SHA256, base64url).
 * Spaces are dropped so "943 476 5919" and "9434765919" meet. Pure.
 */
export function patientKey (nhsNumber: string, key: string): string {
  return createHmac('sha256', key).update(nhsNumber.replace(/\s+/g, '')).digest('base64url')
}

/** The earliest acceptance instant that still counts as a duplicate of a referral made `now`. */
export function windowStart (now: Date, windowDays: number): string {
  return new Date(now.getTime() - windowDays * 86_400_000).toISOString()
}

/** An earlier referral of the same person, as the new referral's Task may name it. */
export interface DuplicateLink {
  /** the earlier referral's Task (for the audit trail; never put on the new Task) */
  taskId: string
  /** the day (England) it was accepted */
  acceptedOn: string
  /** its reference (WW-…), only when the same practice made both referrals */
  reference?: string
  /** the partnership it went to */
  partnershipId: string
  otherPartnership: boolean
  samePractice: boolean
}

/**
 * What the new referral's Task may say about each earlier referral of the same person. Its
 * referrer reads that Task too (the $triage and BaRS answers carry it, and reads are scoped
 * by practice), so an earlier referral's reference is named only when the same practice made
 * it: of another practice's referral the Task says only the day and the partnership, enough
 * for the partnership to find it, and nothing the referrer could open. Pure.
 */
export function duplicateLinks (earlier: readonly KeyedReferral[], current: { requesterOds?: string, partnershipId: string }): DuplicateLink[] {
  return earlier.map((e) => {
    const samePractice = e.requesterOds !== undefined && e.requesterOds === current.requesterOds
    return {
      taskId: e.taskId,
      acceptedOn: englandDate(new Date(e.acceptedAt)),
      ...(samePractice && e.reference !== undefined ? { reference: e.reference } : {}),
      partnershipId: e.owner,
      otherPartnership: e.owner !== current.partnershipId,
      samePractice
    }
  })
}

/** One link in words, as Task.input and Task.note say it. */
export function describeLink (link: DuplicateLink): string {
  const what = link.samePractice
    ? `referral ${link.reference ?? 'without a reference'} from this practice`
    : 'referral from another practice'
  const where = link.otherPartnership ? `to another partnership, ${link.partnershipId}` : 'to this partnership'
  return `${what}, accepted ${link.acceptedOn}, ${where}`
}

/**
 * The new referral's Task with the links: one Task.input coded possible-duplicate per earlier
 * referral, and a note the partnership reads first. Both referrals are kept and delivered;
 * the flag asks a person to check, it decides nothing. `moreNotLinked` says there were earlier
 * referrals beyond the latest {@link MAX_DUPLICATE_LINKS}, which the note then says. Pure; `task`
 * is not changed.
 */
export function flagDuplicates (task: Task, links: readonly DuplicateLink[], windowDays: number, at: string, moreNotLinked = false): Task {
  if (links.length === 0) return task
  const described = links.map(describeLink)
  const inputs: FhirTaskInput[] = described.map((text) => ({
    type: { coding: [{ system: REFERRAL_LINK_SYSTEM, code: POSSIBLE_DUPLICATE, display: 'Possible duplicate referral' }] },
    valueString: text
  }))
  const named = moreNotLinked
    ? `more than ${links.length} times; the latest ${links.length}: ${described.join('; ')}`
    : described.join('; ')
  const note = `Possible duplicate: the same NHS number was referred in the last ${windowDays} days (${named}). Both referrals are kept and delivered; check before acting on either.`
  return { ...task, input: [...(task.input ?? []), ...inputs], note: [...(task.note ?? []), { time: at, text: note }] }
}

/**
 * The audit records that make the link visible on each earlier referral's side: an operator
 * searching the audit trail for the earlier Task finds the event, whose correlation id is the
 * new referral's. The earlier Task itself is not rewritten (its partnership may be changing it).
 */
export function linkAudit (links: readonly DuplicateLink[], newId: () => string, now: Date, agent: string, correlationId: string): AuditRecord[] {
  return links.map((link) => auditRecord(newId(), now, { action: 'E', subtype: 'duplicate-link', agent, entity: `Task/${link.taskId}`, correlationId }))
}
