import { createHash } from 'node:crypto'
import { WORKWELL_BASE } from '../fhir/systems.ts'
import type { BarsServiceConfig, BarsServiceKind, Partnership } from '../routing/partnership.ts'
import { FIT_NOTE_TRIAGE_PROFILE, WORKWELL_REFERRAL_PROFILE } from '../validation/profiles.ts'
import { MESSAGE_DEFINITION_URLS } from './bars-codes.ts'

/**
 * A service the gateway offers under a BaRS service id (NHS BaRS: a sender names its target
 * by service id in NHSD-Target-Identifier and MessageHeader.destination, and reads what that
 * service accepts from GET /MessageDefinition?context=<service id>).
 */
export interface BarsService {
  /** "system|value" */
  serviceId: string
  kind: BarsServiceKind
  name: string
  /**
   * the partnership whose service it is: its referrals must route there. Absent for the
   * gateway's own id (WORKWELL_BARS_SERVICE_ID), which takes a referral for any partnership
   */
  partnershipId?: string
  /** the MessageDefinition of the servicerequest-request messages it accepts */
  definitionId: string
  definitionUrl: string
  /** the profile its ServiceRequest is validated against */
  profile: string
}

const PROFILE: Readonly<Record<BarsServiceKind, string>> = {
  referral: WORKWELL_REFERRAL_PROFILE,
  'fit-note-triage': FIT_NOTE_TRIAGE_PROFILE
}

const KIND_NAME: Readonly<Record<BarsServiceKind, string>> = {
  referral: 'referrals',
  'fit-note-triage': 'fit-note triage'
}

/** The gateway's own service id: WorkWell referrals for any partnership, the shared referral definition. */
export function gatewayService (serviceId: string): BarsService {
  return {
    serviceId,
    kind: 'referral',
    name: 'WorkWell Gateway referrals',
    definitionId: 'workwell-bars-servicerequest-request-referral',
    definitionUrl: MESSAGE_DEFINITION_URLS.referral,
    profile: WORKWELL_REFERRAL_PROFILE
  }
}

/**
 * The id of a partnership service's MessageDefinition: readable where it fits, since a FHIR id
 * is at most 64 characters (R4 datatypes.html#id); a longer partnership id is replaced by a
 * digest of it, so every id stays valid and distinct.
 */
export function definitionIdFor (partnershipId: string, kind: BarsServiceKind): string {
  const readable = `ww-request-${partnershipId}-${kind}`
  return readable.length <= 64 ? readable : `ww-request-${createHash('sha256').update(partnershipId).digest('hex').slice(0, 24)}-${kind}`
}

function partnershipService (p: Partnership, s: BarsServiceConfig): BarsService {
  const definitionId = definitionIdFor(p.id, s.kind)
  return {
    serviceId: s.serviceId,
    kind: s.kind,
    name: s.name ?? `${p.name} ${KIND_NAME[s.kind]}`,
    partnershipId: p.id,
    definitionId,
    definitionUrl: `${WORKWELL_BASE}/MessageDefinition/${definitionId}`,
    profile: PROFILE[s.kind]
  }
}

/**
 * Every service id the gateway offers: its own, then each partnership's (partnership.json
 * `barsServices`), in partnership order. Pure.
 * @throws Error when one id is offered twice (BaRS's multiple-matches: a target must name one
 *   service) or a partnership lists one kind twice, naming where
 */
export function barsServices (ownServiceId: string, partnerships: Iterable<Partnership>): BarsService[] {
  const out = [gatewayService(ownServiceId)]
  const where = new Map<string, string>([[ownServiceId, 'WORKWELL_BARS_SERVICE_ID']])
  for (const p of partnerships) {
    const kinds = new Set<BarsServiceKind>()
    for (const s of p.barsServices ?? []) {
      const at = `mappings/${p.id}/partnership.json barsServices`
      const before = where.get(s.serviceId)
      if (before !== undefined) throw new Error(`${at}: service id ${s.serviceId} is already ${before}'s; each BaRS service id names one service`)
      if (kinds.has(s.kind)) throw new Error(`${at}: two ${s.kind} services; a partnership offers each kind once`)
      kinds.add(s.kind)
      where.set(s.serviceId, `mappings/${p.id}/partnership.json`)
      out.push(partnershipService(p, s))
    }
  }
  return out
}

/** The offered service a "system|value" names, if any. */
export function serviceById (services: readonly BarsService[], serviceId: string): BarsService | undefined {
  return services.find((s) => s.serviceId === serviceId)
}
