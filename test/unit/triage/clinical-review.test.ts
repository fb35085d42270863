import { beforeAll, describe, expect, it } from 'vitest'
import type { ReferralFacts } from '../../../src/referral/referral-facts.ts'
import { buildRoutingIndex } from '../../../src/routing/route-referral.ts'
import { buildTriageTask } from '../../../src/triage/build-task.ts'
import { isDeliverable, triageRouted } from '../../../src/triage/triage-routed.ts'
import { facts, loadReal, ON, OUT_POSTCODE, OUT_PRACTICE, type Loaded } from './rules-fixture.ts'

/**
 * Risk seen by a person: coded risk indicators and every exclusion put the Task in a state a
 * clinician at the partnership must act on (requested, urgent, delivered when consented), and a
 * referral whose coded facts cannot rule risk out is never closed by the machine.
 */
let loaded: Loaded
beforeAll(async () => { loaded = await loadReal() })

interface Row {
  name: string
  partnership: string
  facts: Partial<ReferralFacts>
  outcome: string
  status: string
  priority: 'urgent' | 'routine'
  delivered: boolean
  /** text the reasons must carry */
  because?: string
}

const LSC_HOME = 'BB2 4HT'
const SCREENED = 'no-risk-identified'

const rows: Row[] = [
  { name: 'coded crisis', partnership: 'north-central-london', facts: { indicators: ['crisis'] }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: true, because: 'crisis' },
  { name: 'coded self-harm', partnership: 'north-central-london', facts: { indicators: ['self-harm'] }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: true, because: 'self-harm' },
  { name: 'coded safeguarding', partnership: 'north-central-london', facts: { indicators: ['safeguarding'] }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: true, because: 'safeguarding' },
  { name: 'coded complex needs (no exclusion in NCL)', partnership: 'north-central-london', facts: { indicators: ['complex-health-needs'] }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: true, because: 'complex-health-needs' },
  { name: 'LSC complex needs with a free-text note (the issue\'s case)', partnership: 'lancashire-and-south-cumbria', facts: { postcode: LSC_HOME, indicators: ['complex-health-needs'] }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: true, because: 'complex-health-needs' },
  { name: 'LSC exclusion: long-term unemployed', partnership: 'lancashire-and-south-cumbria', facts: { postcode: LSC_HOME, indicators: ['long-term-unemployed', SCREENED] }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: true, because: 'lancashire-and-south-cumbria/exclude-long-term-unemployed' },
  { name: 'risk coded on an advice-only request', partnership: 'north-central-london', facts: { indicators: ['self-harm'], isReferral: false, referralConsent: false }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: false, because: 'self-harm' },
  { name: 'risk coded, no consent: in the worklist, not delivered', partnership: 'north-central-london', facts: { indicators: ['crisis'], referralConsent: false }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: false, because: 'referral consent' },
  { name: 'risk coded, under 16', partnership: 'north-central-london', facts: { indicators: ['safeguarding'], birthDate: '2012-01-01' }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: true, because: 'safeguarding' },
  { name: 'risk coded, out of area', partnership: 'north-central-london', facts: { indicators: ['crisis'], postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: true, because: 'crisis' },
  { name: 'risk indicator wins over a coded negative risk screen', partnership: 'north-central-london', facts: { indicators: ['self-harm', SCREENED] }, outcome: 'clinical-review', status: 'requested', priority: 'urgent', delivered: true, because: 'self-harm' },
  { name: 'signposted out of area, risk not ruled out: left open', partnership: 'north-central-london', facts: { postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE }, outcome: 'signpost-only', status: 'requested', priority: 'routine', delivered: false, because: 'closed by machine' },
  { name: 'under 16, risk not ruled out: left open', partnership: 'north-central-london', facts: { birthDate: '2012-01-01' }, outcome: 'ineligible', status: 'requested', priority: 'routine', delivered: false, because: 'closed by machine' },
  { name: 'signposted out of area, risk screened negative: closed', partnership: 'north-central-london', facts: { postcode: OUT_POSTCODE, registeredPracticeOds: OUT_PRACTICE, indicators: [SCREENED] }, outcome: 'signpost-only', status: 'completed', priority: 'routine', delivered: false },
  { name: 'under 16, risk screened negative: rejected', partnership: 'north-central-london', facts: { birthDate: '2012-01-01', indicators: [SCREENED] }, outcome: 'ineligible', status: 'rejected', priority: 'routine', delivered: false },
  { name: 'eligible, no risk coded: referred as before', partnership: 'north-central-london', facts: {}, outcome: 'eligible-refer', status: 'requested', priority: 'routine', delivered: true }
]

describe('clinical review route (risk seen by a person)', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const partnership = loaded.partnerships.get(row.partnership)
    if (partnership === undefined) throw new Error(row.partnership)
    const routing = buildRoutingIndex(loaded.partnerships.values())
    const f = facts(row.facts)
    const triage = triageRouted(f, partnership, routing, loaded.rules, ON)
    const icb = partnership.leadIcbs[0]
    if (icb === undefined) throw new Error('no ICB')
    const task = buildTriageTask({ id: 't', serviceRequestId: 'sr', patient: { reference: 'Patient/p' }, partnership, icb, triage, now: ON })
    expect(triage.outcome, row.name).toBe(row.outcome)
    expect(task.status, row.name).toBe(row.status)
    expect(task.priority, row.name).toBe(row.priority)
    expect(isDeliverable(triage, f), row.name).toBe(row.delivered)
    if (row.because !== undefined) expect([...triage.reasons, task.statusReason?.text ?? ''].join(' | '), row.name).toContain(row.because)
    if (row.status === 'requested' && row.outcome !== 'eligible-refer') expect(task.statusReason?.text, row.name).toBeDefined()
  })

  it('never reads a risk from free text: an unknown code changes nothing', () => {
    const ncl = loaded.partnerships.get('north-central-london')
    if (ncl === undefined) throw new Error('ncl')
    const routing = buildRoutingIndex(loaded.partnerships.values())
    expect(triageRouted(facts({ indicators: ['thoughts of ending life'] }), ncl, routing, loaded.rules, ON).outcome).toBe('eligible-refer')
  })
})
