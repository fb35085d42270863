import { readFileSync } from 'node:fs'
import type { Consent, Observation, Patient, ServiceRequest } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { extractFacts } from '../../../src/referral/referral-facts.ts'
import { containedPackage } from '../../../src/referral/referral-package.ts'

const CS = 'https://fhir.workwell.example/CodeSystem'
const SNOMED = 'http://snomed.info/sct'
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'

function fixture (name: 'gp-referral.json' | 'fit-note-triage.json'): ServiceRequest {
  return JSON.parse(readFileSync(new URL(`../../../fixtures/referrals/north-central-london/${name}`, import.meta.url), 'utf8')) as ServiceRequest
}

function contained<T extends { resourceType: string }> (sr: ServiceRequest, id: string): T {
  const r = sr.contained?.find((c) => c.id === id)
  if (r === undefined) throw new Error(`fixture has no contained #${id}`)
  return r as unknown as T
}

const factsOf = (sr: ServiceRequest): ReturnType<typeof extractFacts> => extractFacts(containedPackage(sr))

describe('extractFacts from the NCL GP referral', () => {
  it('reads every fact triage and routing need', () => {
    expect(factsOf(fixture('gp-referral.json'))).toStrictEqual({
      indicators: [],
      referralConsent: true,
      reasonCodes: ['35489007'],
      isReferral: true,
      birthDate: '1986-04-12',
      patientIdentifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9912003888' },
      referringPracticeOds: 'F83674',
      registeredPracticeOds: 'F83674',
      postcode: 'N7 6LB',
      source: 'gp',
      employmentSituation: 'employed-off-sick',
      dateWorkStopped: '2026-10-05',
      referralDate: '2026-11-20T10:15:00+00:00'
    })
  })
})

describe('extractFacts from the NCL fit-note triage request', () => {
  it('reads the fit note outcome, advice and period, and no consent', () => {
    expect(factsOf(fixture('fit-note-triage.json'))).toStrictEqual({
      indicators: [],
      referralConsent: false,
      reasonCodes: ['928000'],
      isReferral: false,
      birthDate: '1979-09-02',
      patientIdentifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9449307539' },
      referringPracticeOds: 'F83665',
      registeredPracticeOds: 'F83665',
      postcode: 'NW3 5QY',
      source: 'fit-note-conversation',
      employmentSituation: 'employed-struggling',
      fitNote: { outcome: 'may-be-fit', advice: ['phased-return', 'altered-hours'], start: '2026-11-20', end: '2026-12-18' },
      referralDate: '2026-11-20T09:45:00+00:00'
    })
  })

  it('leaves out advice boxes that are ticked false', () => {
    const sr = fixture('fit-note-triage.json')
    const note = contained<Observation>(sr, 'fitnote')
    const first = note.component?.[0]
    if (first !== undefined) first.valueBoolean = false
    expect(factsOf(sr).fitNote?.advice).toStrictEqual(['altered-hours'])
  })

  it('reads the outcome from the eMED3 code when no outcome value is given', () => {
    const sr = fixture('fit-note-triage.json')
    const note = contained<Observation>(sr, 'fitnote')
    delete note.valueCodeableConcept
    note.code = { coding: [{ system: SNOMED, code: '751481000000104' }] }
    delete note.effectivePeriod
    expect(factsOf(sr).fitNote).toStrictEqual({ outcome: 'not-fit', advice: ['phased-return', 'altered-hours'] })
  })

  it('maps every eMED3 statement concept to not fit or may be fit, as domain.md §4 lists them', () => {
    const table: Array<[string, 'not-fit' | 'may-be-fit']> = [
      ['751481000000104', 'not-fit'], ['751601000000107', 'may-be-fit'],
      ['751621000000103', 'not-fit'], ['751641000000105', 'may-be-fit'],
      ['751731000000106', 'not-fit'], ['751751000000104', 'may-be-fit']
    ]
    for (const [code, outcome] of table) {
      const sr = fixture('fit-note-triage.json')
      const note = contained<Observation>(sr, 'fitnote')
      delete note.valueCodeableConcept
      note.code = { coding: [{ system: SNOMED, code }] }
      expect(factsOf(sr).fitNote?.outcome, code).toBe(outcome)
    }
  })

  it('leaves the outcome unknown when the value and the eMED3 code disagree, so triage asks', () => {
    const sr = fixture('fit-note-triage.json')
    const note = contained<Observation>(sr, 'fitnote')
    note.code = { coding: [{ system: SNOMED, code: '751481000000104' }] }
    note.valueCodeableConcept = { coding: [{ system: `${CS}/fit-note-outcome`, code: 'may-be-fit' }] }
    expect(factsOf(sr).fitNote).toBeDefined()
    expect(factsOf(sr).fitNote?.outcome).toBeUndefined()
    note.valueCodeableConcept = { coding: [{ system: `${CS}/fit-note-outcome`, code: 'not-fit' }] }
    expect(factsOf(sr).fitNote?.outcome).toBe('not-fit')
  })

  it('reads amended duties and workplace adaptations', () => {
    const sr = fixture('fit-note-triage.json')
    contained<Observation>(sr, 'fitnote').component = [
      { code: { coding: [{ system: SNOMED, code: '775321000000108' }] }, valueBoolean: true },
      { code: { coding: [{ system: SNOMED, code: '775351000000103' }] }, valueBoolean: true },
      { code: { coding: [{ system: SNOMED, code: '1234' }] }, valueBoolean: true }
    ]
    expect(factsOf(sr).fitNote?.advice).toStrictEqual(['amended-duties', 'workplace-adaptations'])
  })

  it('ignores an Observation that is neither employment status nor a fit note', () => {
    const sr = fixture('fit-note-triage.json')
    contained<Observation>(sr, 'fitnote').code = { coding: [{ system: SNOMED, code: '29857009' }] }
    expect(factsOf(sr).fitNote).toBeUndefined()
  })
})

describe('extractFacts details', () => {
  it('counts a referral by intent: order and original-order are referrals, proposal and plan are not', () => {
    const sr = fixture('gp-referral.json')
    expect(factsOf({ ...sr, intent: 'original-order' }).isReferral).toBe(true)
    expect(factsOf({ ...sr, intent: 'order' }).isReferral).toBe(true)
    expect(factsOf({ ...sr, intent: 'proposal' }).isReferral).toBe(false)
    expect(factsOf({ ...sr, intent: 'plan' }).isReferral).toBe(false)
  })

  it('takes consent only from an active permit for the WorkWell referral', () => {
    const withConsent = (change: (c: Consent) => void): boolean => {
      const sr = fixture('gp-referral.json')
      change(contained<Consent>(sr, 'consent'))
      return factsOf(sr).referralConsent
    }
    expect(withConsent(() => {})).toBe(true)
    expect(withConsent((c) => { c.status = 'inactive' })).toBe(false)
    expect(withConsent((c) => { c.status = 'proposed' })).toBe(false)
    expect(withConsent((c) => { if (c.provision !== undefined) c.provision.type = 'deny' })).toBe(false)
    expect(withConsent((c) => { c.provision = { type: 'permit', code: [{ coding: [{ system: `${CS}/consent-purpose`, code: 'research' }] }] } })).toBe(false)
    // A Consent that names no purpose says nothing about the referral (docs/hazard-log.md H3: distinct consents).
    expect(withConsent((c) => { c.provision = { type: 'permit' } })).toBe(false)
    expect(withConsent((c) => { delete c.provision })).toBe(false)
  })

  it('takes consent only for the referral\'s own patient', () => {
    const sr = fixture('gp-referral.json')
    const other: Patient = { resourceType: 'Patient', id: 'someone-else', birthDate: '1990-01-01' }
    sr.contained = [...(sr.contained ?? []), other]
    contained<Consent>(sr, 'consent').patient = { reference: '#someone-else' }
    expect(factsOf(sr).referralConsent).toBe(false)
    contained<Consent>(sr, 'consent').patient = { reference: 'Patient/not-in-this-request' }
    expect(factsOf(sr).referralConsent).toBe(false)
    delete contained<Consent>(sr, 'consent').patient
    expect(factsOf(sr).referralConsent).toBe(true)
  })

  it('lets a recorded withdrawal win over a permit, whatever the order', () => {
    for (const order of [['#consent', '#withdrawn'], ['#withdrawn', '#consent']]) {
      const sr = fixture('gp-referral.json')
      const permit = contained<Consent>(sr, 'consent')
      const withdrawn: Consent = { ...structuredClone(permit), id: 'withdrawn', provision: { ...permit.provision, type: 'deny' } }
      sr.contained = [...(sr.contained ?? []), withdrawn]
      sr.supportingInfo = [{ reference: '#employment' }, ...order.map((reference) => ({ reference }))]
      const facts = factsOf(sr)
      expect(facts.referralConsent, order.join()).toBe(false)
      expect('referralConsentPeriods' in facts, order.join()).toBe(false)
    }
  })

  it('keeps the permitting consent\'s period for triage to check against the day', () => {
    const sr = fixture('gp-referral.json')
    const consent = contained<Consent>(sr, 'consent')
    if (consent.provision !== undefined) consent.provision.period = { start: '2026-11-20', end: '2027-05-19' }
    expect(factsOf(sr)).toMatchObject({ referralConsent: true, referralConsentPeriods: [{ start: '2026-11-20', end: '2027-05-19' }] })
  })

  it('keeps every permit\'s period, so a later expired permit cannot hide a current one; a permit with no period is open-ended', () => {
    const withTwo = (first: Consent['provision'], second: Consent['provision']): ReturnType<typeof factsOf> => {
      const sr = fixture('gp-referral.json')
      const permit = contained<Consent>(sr, 'consent')
      const other: Consent = { ...structuredClone(permit), id: 'consent-2' }
      permit.provision = { ...permit.provision, ...first }
      other.provision = { ...structuredClone(permit.provision), ...second }
      if (second?.period === undefined) delete other.provision.period
      if (first?.period === undefined) delete permit.provision.period
      sr.contained = [...(sr.contained ?? []), other]
      sr.supportingInfo = [{ reference: '#employment' }, { reference: '#consent' }, { reference: '#consent-2' }]
      return factsOf(sr)
    }
    const current = { type: 'permit' as const, period: { start: '2026-11-20' } }
    const expired = { type: 'permit' as const, period: { start: '2024-01-10', end: '2024-07-09' } }
    expect(withTwo(current, expired).referralConsentPeriods).toStrictEqual([{ start: '2026-11-20' }, { start: '2024-01-10', end: '2024-07-09' }])
    expect(withTwo(expired, current).referralConsentPeriods).toStrictEqual([{ start: '2024-01-10', end: '2024-07-09' }, { start: '2026-11-20' }])
    const open = withTwo({ type: 'permit' }, expired)
    expect(open.referralConsent).toBe(true)
    expect('referralConsentPeriods' in open).toBe(false)
  })

  it('reads consent only when the ServiceRequest points at it', () => {
    const sr = fixture('gp-referral.json')
    sr.supportingInfo = [{ reference: '#employment' }]
    expect(factsOf(sr).referralConsent).toBe(false)
  })

  it('reads supporting resources pointed at by reasonReference too, and skips unresolved references', () => {
    const sr = fixture('gp-referral.json')
    sr.supportingInfo = [{ reference: '#missing' }, { reference: '#consent' }]
    sr.reasonReference = [{ reference: '#employment' }]
    const facts = factsOf(sr)
    expect(facts.employmentSituation).toBe('employed-off-sick')
    expect(facts.dateWorkStopped).toBe('2026-10-05')
    expect(facts.referralConsent).toBe(true)
  })

  it('reads only codes in the expected systems', () => {
    const sr = fixture('gp-referral.json')
    sr.reasonCode = [{ coding: [{ system: 'http://read.info/ctv3', code: 'X00SJ' }, { system: SNOMED, code: '197480006' }] }, { text: 'low mood' }]
    contained<Observation>(sr, 'employment').valueCodeableConcept = { coding: [{ system: 'http://example.org/other', code: 'unemployed' }] }
    sr.category = [{ coding: [{ system: 'http://example.org/other', code: 'gp' }] }]
    const facts = factsOf(sr)
    expect(facts.reasonCodes).toStrictEqual(['197480006'])
    expect(facts.employmentSituation).toBeUndefined()
    expect(facts.source).toBeUndefined()
  })

  it('reads ODS codes only from the ODS system, upper-cased and trimmed', () => {
    const sr = fixture('gp-referral.json')
    sr.requester = { identifier: { system: ODS, value: ' f83043 ' } }
    const patient = contained<Patient>(sr, 'patient')
    patient.generalPractitioner = [{ reference: 'Organization/x' }, { identifier: { system: 'http://example.org/local', value: 'ZZ1' } }, { identifier: { system: ODS, value: 'e83018' } }]
    const facts = factsOf(sr)
    expect(facts.referringPracticeOds).toBe('F83043')
    expect(facts.registeredPracticeOds).toBe('E83018')
    sr.requester = { reference: 'Practitioner/1' }
    expect(factsOf(sr).referringPracticeOds).toBeUndefined()
  })

  it('prefers the home address postcode, else the first address that has one', () => {
    const sr = fixture('gp-referral.json')
    const patient = contained<Patient>(sr, 'patient')
    patient.address = [{ use: 'work', postalCode: 'EC1A 1BB' }, { use: 'home', postalCode: 'N7 6LB' }]
    expect(factsOf(sr).postcode).toBe('N7 6LB')
    patient.address = [{ use: 'home', line: ['no postcode'] }, { use: 'temp', postalCode: 'TR18 4AB' }]
    expect(factsOf(sr).postcode).toBe('TR18 4AB')
    patient.address = [{ use: 'home', line: ['no postcode'] }]
    expect('postcode' in factsOf(sr)).toBe(false)
  })

  it('has no patient facts when the subject is not a contained Patient', () => {
    const sr = fixture('gp-referral.json')
    sr.subject = { reference: 'Patient/elsewhere' }
    const facts = factsOf(sr)
    expect(facts.referringPracticeOds).toBe('F83674')
    for (const key of ['birthDate', 'postcode', 'registeredPracticeOds', 'patientIdentifier'] as const) {
      expect(key in facts, key).toBe(false)
    }
  })
})

describe('extractFacts: coded triage indicators', () => {
  const indicator = (id: string, value: Observation['valueCodeableConcept'], over: Partial<Observation> = {}): Observation => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: `${CS}/workwell-observation`, code: 'triage-indicator' }] },
    subject: { reference: '#patient' },
    valueCodeableConcept: value,
    ...over
  })
  const withIndicators = (...obs: Observation[]): ServiceRequest => {
    const sr = fixture('gp-referral.json')
    sr.contained = [...(sr.contained ?? []), ...obs]
    sr.supportingInfo = [...(sr.supportingInfo ?? []), ...obs.map((o) => ({ reference: `#${o.id ?? ''}` }))]
    return sr
  }

  it('reads WorkWell indicator codes, once each, and ICD-10 Z56.2 as at risk of job loss', () => {
    const sr = withIndicators(
      indicator('risk', { coding: [{ system: `${CS}/triage-indicator`, code: 'at-risk-of-job-loss' }] }),
      indicator('smoker', { coding: [{ system: `${CS}/triage-indicator`, code: 'current-smoker' }] }),
      indicator('icd', { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'Z56.2', display: 'Threat of job loss' }] })
    )
    expect(factsOf(sr).indicators).toStrictEqual(['at-risk-of-job-loss', 'current-smoker'])
  })

  it('never reads an indicator from free text, another system, or a withdrawn Observation', () => {
    const sr = withIndicators(
      indicator('text', { text: 'complex health needs' }),
      indicator('other', { coding: [{ system: 'http://example.org/flags', code: 'complex-health-needs' }] }),
      indicator('withdrawn', { coding: [{ system: `${CS}/triage-indicator`, code: 'complex-health-needs' }] }, { status: 'entered-in-error' })
    )
    expect(factsOf(sr).indicators).toStrictEqual([])
  })

  it('ignores a withdrawn employment Observation, so triage asks for the situation again', () => {
    const sr = fixture('gp-referral.json')
    contained<Observation>(sr, 'employment').status = 'entered-in-error'
    expect(factsOf(sr).employmentSituation).toBeUndefined()
  })
})
