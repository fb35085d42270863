import { readFileSync } from 'node:fs'
import type { Address, Observation, ServiceRequest } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { extractFacts, type ReferralFacts } from '../../../src/referral/referral-facts.ts'
import { containedPackage } from '../../../src/referral/referral-package.ts'

/**
 * Facts chosen by their dates and subject: the current record by effective date (not the last
 * listed), only records about the referral's own patient, the home address by use and period,
 * and contradictions between current records asked about rather than guessed.
 */
const CS = 'https://fhir.workwell.example/CodeSystem'
const SNOMED = 'http://snomed.info/sct'

const base = (): ServiceRequest => JSON.parse(readFileSync(new URL('../../../fixtures/referrals/north-central-london/gp-referral.json', import.meta.url), 'utf8')) as ServiceRequest

function employment (id: string, situation: string, effective: Partial<Observation>, over: Partial<Observation> = {}): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: `${CS}/workwell-observation`, code: 'employment-situation' }] },
    subject: { reference: '#patient' },
    valueCodeableConcept: { coding: [{ system: `${CS}/employment-situation`, code: situation }] },
    ...effective,
    ...over
  }
}

function fitNote (id: string, outcome: 'not-fit' | 'may-be-fit', start: string, end: string, over: Partial<Observation> = {}): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: SNOMED, code: outcome === 'not-fit' ? '751481000000104' : '751601000000107' }] },
    subject: { reference: '#patient' },
    valueCodeableConcept: { coding: [{ system: `${CS}/fit-note-outcome`, code: outcome }] },
    effectivePeriod: { start, end },
    ...over
  }
}

const indicator = (id: string, code: string, over: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: `${CS}/workwell-observation`, code: 'triage-indicator' }] },
  subject: { reference: '#patient' },
  valueCodeableConcept: { coding: [{ system: `${CS}/triage-indicator`, code }] },
  ...over
})

/** The NCL referral (authored 20 Nov 2026) with these Observations in place of its own, in this order. */
function withRecords (records: Observation[], addresses?: Address[]): ReferralFacts {
  const sr = base()
  const others = (sr.contained ?? []).filter((r) => r.resourceType !== 'Observation')
  sr.contained = [...others, ...records]
  sr.supportingInfo = [...records.map((r) => ({ reference: `#${r.id ?? ''}` })), { reference: '#consent' }]
  const patient = sr.contained.find((r) => r.resourceType === 'Patient')
  if (addresses !== undefined && patient?.resourceType === 'Patient') patient.address = addresses
  return extractFacts(containedPackage(sr))
}

const OLD_EMPLOYED = employment('old', 'employed-working', { effectiveDateTime: '2024-01-10' })
const NOW_OUT = employment('now', 'unemployed', { effectiveDateTime: '2026-11-18' }, {
  component: [{ code: { coding: [{ system: `${CS}/workwell-observation`, code: 'date-work-stopped' }] }, valueDateTime: '2025-01-15' }]
})

interface Row {
  name: string
  records: Observation[]
  addresses?: Address[]
  expect: Partial<ReferralFacts>
  absent?: Array<keyof ReferralFacts>
}

const rows: Row[] = [
  { name: 'latest employment record wins, current listed first', records: [NOW_OUT, OLD_EMPLOYED], expect: { employmentSituation: 'unemployed', dateWorkStopped: '2025-01-15' } },
  { name: 'latest employment record wins, old one listed first', records: [OLD_EMPLOYED, NOW_OUT], expect: { employmentSituation: 'unemployed', dateWorkStopped: '2025-01-15' } },
  { name: 'a dated record outranks an undated one', records: [employment('dated', 'employed-off-sick', { effectiveDateTime: '2026-10-01' }), employment('undated', 'employed-working', {})], expect: { employmentSituation: 'employed-off-sick' } },
  { name: 'a record whose period ended before the referral is not current', records: [employment('earlier', 'unemployed', { effectiveDateTime: '2019-06-01' }), employment('ended', 'employed-working', { effectivePeriod: { start: '2020-01-01', end: '2025-12-31' } })], expect: { employmentSituation: 'unemployed' } },
  { name: 'two current records of the same date that disagree: asked, not guessed', records: [employment('a', 'employed-working', { effectiveDateTime: '2026-11-18' }), employment('b', 'unemployed', { effectiveDateTime: '2026-11-18' })], expect: { conflicts: ['employment situation'] }, absent: ['employmentSituation'] },
  { name: 'employment record about another patient is ignored', records: [OLD_EMPLOYED, employment('other', 'unemployed', { effectiveDateTime: '2026-11-19' }, { subject: { reference: 'Patient/someone-else' } })], expect: { employmentSituation: 'employed-working' } },
  { name: 'indicator about another patient is ignored', records: [OLD_EMPLOYED, indicator('risk', 'at-risk-of-job-loss', { subject: { reference: '#someone-else' } })], expect: { indicators: [] } },
  { name: 'fit note about another patient is ignored', records: [OLD_EMPLOYED, fitNote('note', 'not-fit', '2026-11-01', '2026-12-31', { subject: { reference: 'Patient/x' } })], expect: {}, absent: ['fitNote'] },
  { name: 'the latest fit note wins, whatever the order', records: [OLD_EMPLOYED, fitNote('new', 'may-be-fit', '2026-11-10', '2026-12-10'), fitNote('older', 'not-fit', '2026-09-01', '2026-10-31')], expect: { fitNote: { outcome: 'may-be-fit', advice: [], start: '2026-11-10', end: '2026-12-10' } } },
  { name: 'an ended home address is not home', records: [OLD_EMPLOYED], addresses: [{ use: 'home', postalCode: 'LS1 4AP', period: { start: '2010-01-01', end: '2025-06-30' } }, { use: 'home', postalCode: 'N7 6LB', period: { start: '2025-07-01' } }], expect: { postcode: 'N7 6LB' } },
  { name: 'an old-use address is not home', records: [OLD_EMPLOYED], addresses: [{ use: 'old', postalCode: 'LS1 4AP' }, { postalCode: 'N7 6LB' }], expect: { postcode: 'N7 6LB' } },
  { name: 'a work address alone is not home', records: [OLD_EMPLOYED], addresses: [{ use: 'work', postalCode: 'EC1A 1BB' }], expect: {}, absent: ['postcode'] },
  { name: 'only ended addresses: no home postcode, so it is asked for', records: [OLD_EMPLOYED], addresses: [{ use: 'home', postalCode: 'LS1 4AP', period: { end: '2025-06-30' } }], expect: {}, absent: ['postcode'] }
]

describe('facts chosen by their dates and subject', () => {
  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const facts = withRecords(row.records, row.addresses)
    expect(facts).toMatchObject(row.expect)
    for (const key of row.absent ?? []) expect(facts[key], `${row.name}: ${key}`).toBeUndefined()
  })
})
