import { beforeAll, describe, expect, it } from 'vitest'
import type { ReferralFacts } from '../../../src/referral/referral-facts.ts'
import { buildRoutingIndex } from '../../../src/routing/route-referral.ts'
import { triageRouted } from '../../../src/triage/triage-routed.ts'
import type { TriageResult } from '../../../src/triage/triage-result.ts'
import { codes, facts, loadReal, ON, OUT_POSTCODE, OUT_PRACTICE, type Loaded } from './rules-fixture.ts'

/**
 * South Yorkshire read from its source (finding 4), signposts that point somewhere useful
 * (finding 6), and people the employment codes did not fit: self-employed, zero-hours, never
 * worked, and a 'may be fit' note with no advice (finding 7).
 */
let loaded: Loaded
beforeAll(async () => { loaded = await loadReal() })

function run (partnership: string, over: Partial<ReferralFacts>): TriageResult {
  const p = loaded.partnerships.get(partnership)
  if (p === undefined) throw new Error(partnership)
  return triageRouted(facts(over), p, buildRoutingIndex(loaded.partnerships.values()), loaded.rules, ON)
}

const SY = { postcode: 'S1 2HE', registeredPracticeOds: OUT_PRACTICE, referringPracticeOds: OUT_PRACTICE }
const LSC = { postcode: 'BB2 4HT', registeredPracticeOds: OUT_PRACTICE, referringPracticeOds: OUT_PRACTICE }

interface Row {
  name: string
  partnership: string
  facts: Partial<ReferralFacts>
  outcome: TriageResult['outcome']
  hasServices?: string[]
  lacksServices?: string[]
  hasSignposts?: string[]
  lacksSignposts?: string[]
  lacksMissing?: string[]
  reason?: string
  /** text no signpost's local service may carry */
  signpostTextLacks?: RegExp
}

const rows: Row[] = [
  // Finding 4: South Yorkshire helps long-term sick and disabled people into work.
  { name: 'South Yorkshire takes someone out of work', partnership: 'south-yorkshire', facts: { ...SY, employmentSituation: 'unemployed', dateWorkStopped: '2025-01-10' }, outcome: 'eligible-refer', hasServices: ['cv-interview-help'] },
  { name: 'South Yorkshire says the national baseline decided', partnership: 'south-yorkshire', facts: { ...SY }, outcome: 'eligible-refer', reason: 'criteria: the national baseline' },
  // Finding 6: signposts.
  { name: 'out of every pilot, referred by a BSOL practice: their own area\'s WorkWell, not BSOL\'s team', partnership: 'birmingham-and-solihull', facts: { postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE, referringPracticeOds: 'M85005' }, outcome: 'signpost-only', hasSignposts: ['own-area-workwell'], lacksSignposts: ['local-workwell-team'] },
  { name: 'in Birmingham but outside the pilot PCNs: the BSOL team', partnership: 'birmingham-and-solihull', facts: { postcode: 'B1 1AA', registeredPracticeOds: OUT_PRACTICE, referringPracticeOds: 'M85005' }, outcome: 'signpost-only', hasSignposts: ['local-workwell-team'], lacksSignposts: ['own-area-workwell'] },
  { name: 'residence-only rule: never told to ask the GP practice that referred them', partnership: 'lancashire-and-south-cumbria', facts: { postcode: OUT_POSTCODE, registeredPracticeOds: 'Y09001', referringPracticeOds: 'Y09001' }, outcome: 'signpost-only', hasSignposts: ['own-area-workwell'], signpostTextLacks: /GP practice/i },
  // Finding 7: people the codes did not fit.
  { name: 'self-employed: no employer-facing services, Access to Work signposted', partnership: 'north-central-london', facts: { employmentSituation: 'self-employed' }, outcome: 'eligible-refer', lacksServices: ['workplace-adjustments', 'return-to-work-plan'], hasSignposts: ['access-to-work'] },
  { name: 'self-employed and unable to work through ill health can be recorded', partnership: 'north-central-london', facts: { employmentSituation: 'self-employed-off-sick', fitNote: { outcome: 'not-fit', advice: ['phased-return'], start: '2026-11-10', end: '2026-12-22' } }, outcome: 'eligible-refer', lacksServices: ['workplace-adjustments', 'return-to-work-plan', 'cv-interview-help'], hasSignposts: ['access-to-work', 'debt-advice'] },
  { name: 'self-employed off sick in LSC is taken', partnership: 'lancashire-and-south-cumbria', facts: { ...LSC, employmentSituation: 'self-employed-off-sick' }, outcome: 'eligible-refer' },
  { name: 'zero-hours worker: in work, with an employer', partnership: 'north-central-london', facts: { employmentSituation: 'employed-zero-hours' }, outcome: 'eligible-refer', hasServices: ['workplace-adjustments'], lacksServices: ['cv-interview-help'] },
  { name: 'zero-hours worker in LSC and South Yorkshire is taken', partnership: 'lancashire-and-south-cumbria', facts: { ...LSC, employmentSituation: 'employed-zero-hours' }, outcome: 'eligible-refer' },
  { name: 'never worked (a school-leaver): not asked when work stopped', partnership: 'north-central-london', facts: { employmentSituation: 'never-worked', birthDate: '2009-06-01' }, outcome: 'eligible-refer', hasServices: ['cv-interview-help'], lacksServices: ['workplace-adjustments', 'return-to-work-plan'], lacksMissing: ['date work stopped'] },
  { name: 'never worked in LSC: not asked when work stopped', partnership: 'lancashire-and-south-cumbria', facts: { ...LSC, employmentSituation: 'never-worked' }, outcome: 'signpost-only', lacksMissing: ['date work stopped'], hasSignposts: ['employment-support'] },
  { name: '\'may be fit\' with no advice box ticked is flagged', partnership: 'north-central-london', facts: { employmentSituation: 'employed-struggling', fitNote: { outcome: 'may-be-fit', advice: [], start: '2026-11-10', end: '2026-12-10' } }, outcome: 'eligible-refer', reason: 'no advice box ticked' }
]

describe('situations and signposts', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const result = run(row.partnership, row.facts)
    expect(result.outcome, row.name).toBe(row.outcome)
    for (const s of row.hasServices ?? []) expect(codes(result, 'service'), s).toContain(s)
    for (const s of row.lacksServices ?? []) expect(codes(result, 'service'), s).not.toContain(s)
    for (const s of row.hasSignposts ?? []) expect(codes(result, 'signpost'), s).toContain(s)
    for (const s of row.lacksSignposts ?? []) expect(codes(result, 'signpost'), s).not.toContain(s)
    for (const m of row.lacksMissing ?? []) expect(result.missing.map((x) => x.what), m).not.toContain(m)
    if (row.reason !== undefined) expect(result.reasons.join(' | ')).toContain(row.reason)
    if (row.signpostTextLacks !== undefined) {
      for (const o of result.outputs) expect(`${o.local?.name ?? ''} ${o.local?.text ?? ''}`, o.code).not.toMatch(row.signpostTextLacks)
      expect(result.summary).not.toMatch(row.signpostTextLacks)
    }
  })
})
