import { englandDate } from '../england-date.ts'
import type { IcbPeriod, Partnership } from './partnership.ts'
import { postcodeDistrict } from './postcode.ts'

export interface RoutingInput {
  /** ODS code of the referring GP practice (ServiceRequest.requester) */
  referringPracticeOds?: string
  /** ODS code of the practice the patient is registered with (Patient.generalPractitioner) */
  registeredPracticeOds?: string
  /** Patient's home postcode */
  postcode?: string
}

export type RoutingDecision =
  | { ok: true, partnership: Partnership, icb: IcbPeriod, by: 'referring-practice' | 'registered-practice' | 'postcode-district', key: string }
  | { ok: false, reason: string, expression: string[] }

/** Index built once from the partnership directory, so routing a referral is a few map look-ups. */
export interface RoutingIndex {
  byPractice: Map<string, Partnership>
  byDistrict: Map<string, Partnership>
}

export function buildRoutingIndex (partnerships: Iterable<Partnership>): RoutingIndex {
  const byPractice = new Map<string, Partnership>()
  const byDistrict = new Map<string, Partnership>()
  for (const p of partnerships) {
    for (const code of p.practices) {
      const other = byPractice.get(code)
      if (other !== undefined) {
        throw new Error(`practice ${code} is claimed by both ${other.id} and ${p.id}`)
      }
      byPractice.set(code, p)
    }
    for (const district of p.postcodeDistricts) {
      const key = district.toUpperCase()
      const other = byDistrict.get(key)
      if (other !== undefined) {
        throw new Error(`postcode district ${key} is claimed by both ${other.id} and ${p.id}`)
      }
      byDistrict.set(key, p)
    }
  }
  return { byPractice, byDistrict }
}

/** The lead ICB in force on a date; ICB codes changed on 1 April 2026 (NHS ODS; see docs/decisions/ods-routing.md). */
export function icbOn (partnership: Partnership, on: Date): IcbPeriod | undefined {
  const day = englandDate(on)
  return partnership.leadIcbs.find((p) => p.from <= day && (p.to === undefined || day <= p.to))
}

/**
 * Chooses the partnership for a referral: by the referring practice's ODS code, then the
 * registered practice, then the patient's postcode district. Never by ICB code, which after
 * April 2026 can hold two partnerships (docs/decisions/ods-routing.md).
 */
export function routeReferral (input: RoutingInput, index: RoutingIndex, on: Date): RoutingDecision {
  const tried: string[] = []
  const candidates: Array<[RoutingInput[keyof RoutingInput], 'referring-practice' | 'registered-practice']> = [
    [input.referringPracticeOds, 'referring-practice'],
    [input.registeredPracticeOds, 'registered-practice']
  ]
  for (const [code, by] of candidates) {
    if (code === undefined) continue
    const p = index.byPractice.get(code.toUpperCase())
    if (p !== undefined) return withIcb(p, by, code, on)
    tried.push(`${by === 'referring-practice' ? 'referring' : 'registered'} practice ${code}`)
  }
  if (input.postcode !== undefined) {
    const district = postcodeDistrict(input.postcode)
    if (district !== undefined) {
      const p = index.byDistrict.get(district)
      if (p !== undefined) return withIcb(p, 'postcode-district', district, on)
      tried.push(`postcode district ${district}`)
    } else {
      tried.push('a postcode that is not a valid UK postcode')
    }
  }
  if (tried.length === 0) {
    return {
      ok: false,
      reason: 'The referral names no referring practice ODS code, registered practice or home postcode, so no WorkWell partnership can be chosen',
      expression: ['ServiceRequest.requester.identifier', 'Patient.address.postalCode']
    }
  }
  return {
    ok: false,
    reason: `No WorkWell partnership serves ${tried.join(', ')}`,
    expression: ['ServiceRequest.requester.identifier', 'Patient.generalPractitioner', 'Patient.address.postalCode']
  }
}

function withIcb (p: Partnership, by: 'referring-practice' | 'registered-practice' | 'postcode-district', key: string, on: Date): RoutingDecision {
  const icb = icbOn(p, on)
  if (icb === undefined) {
    return { ok: false, reason: `Partnership ${p.id} has no lead ICB on ${englandDate(on)}`, expression: ['ServiceRequest.authoredOn'] }
  }
  return { ok: true, partnership: p, icb, by, key }
}
