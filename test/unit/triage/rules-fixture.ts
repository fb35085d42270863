import path from 'node:path'
import type { ReferralFacts } from '../../../src/referral/referral-facts.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'
import { loadTriageRules } from '../../../src/triage/load-triage-rules.ts'
import type { ResolvedRules } from '../../../src/triage/rules.ts'
import type { TriageResult } from '../../../src/triage/triage-result.ts'

export const REPO = path.resolve(import.meta.dirname, '../../..')
export const MAPPINGS = path.join(REPO, 'mappings')

/** The triage day every table row is computed from; ages and times out of work count back from it. */
export const ON = new Date('2026-11-20T12:00:00Z')
export const DEPRESSION = '35489007'
export const MSK = '928000'
/** A postcode and a practice outside every pilot partnership (Leeds; Hallgarth Surgery, County Durham, in NHS ODS). */
export const OUT_POSTCODE = 'LS1 4AP'
export const OUT_PRACTICE = 'A83008'

export interface Loaded {
  partnerships: Map<string, Partnership>
  rules: Map<string, ResolvedRules>
}

/** The real partnership directory and rule files, as the gateway loads them at start. */
export async function loadReal (): Promise<Loaded> {
  const partnerships = await loadPartnerships(MAPPINGS)
  const rules = await loadTriageRules(MAPPINGS, partnerships.keys())
  return { partnerships, rules }
}

/** An eligible adult referral: in work with depression, consented; over rides per row. */
export function facts (over: Partial<ReferralFacts> = {}): ReferralFacts {
  return {
    birthDate: '1986-04-12',
    postcode: 'N7 6LB',
    registeredPracticeOds: 'F83674',
    referringPracticeOds: 'F83674',
    employmentSituation: 'employed-working',
    indicators: [],
    referralConsent: true,
    reasonCodes: [DEPRESSION],
    isReferral: true,
    ...over
  }
}

export const codes = (r: TriageResult, kind: 'service' | 'signpost'): string[] => r.outputs.filter((o) => o.kind === kind).map((o) => o.code).sort()
