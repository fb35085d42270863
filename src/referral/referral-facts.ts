import type { Address, CodeableConcept, Consent, Identifier, Observation, Patient, Reference } from '@medplum/fhirtypes'
import { dayBounds } from '../triage/dates.ts'
import { SYSTEMS, WORKWELL_BASE } from '../fhir/systems.ts'
import { resolvePatient, type ReferralPackage } from './referral-package.ts'

/** eMED3 fit-note concepts GP systems record (SNOMED CT UK edition). */
export const FIT_NOTE_CODES: Readonly<Record<string, 'not-fit' | 'may-be-fit'>> = {
  751481000000104: 'not-fit',
  751601000000107: 'may-be-fit',
  751621000000103: 'not-fit',
  751641000000105: 'may-be-fit',
  751731000000106: 'not-fit',
  751751000000104: 'may-be-fit'
}

/** The four fit-note advice boxes (DWP Med3 form). */
export const FIT_NOTE_ADVICE: Readonly<Record<string, string>> = {
  775281000000100: 'phased-return',
  775301000000104: 'altered-hours',
  775321000000108: 'amended-duties',
  775351000000103: 'workplace-adaptations'
}

export interface FitNoteFacts {
  outcome?: 'not-fit' | 'may-be-fit'
  advice: string[]
  start?: string
  end?: string
}

/**
 * Coded triage indicators (a WorkWell CodeSystem): risks and exclusions are decided on codes,
 * never on free text (docs/hazard-log.md H4).
 */
export const TRIAGE_INDICATOR_SYSTEM = `${WORKWELL_BASE}/CodeSystem/triage-indicator`

/** ICD-10 Z56.2 "Threat of job loss": no SNOMED CT concept was found for it. */
const ICD10 = 'http://hl7.org/fhir/sid/icd-10'
const ICD10_INDICATORS: Readonly<Record<string, string>> = { 'Z56.2': 'at-risk-of-job-loss' }

/**
 * Everything triage and routing need, read once from the referral. Pure: no I/O, no clock.
 * Personal details stay in the resources; facts carry only codes, dates and flags.
 */
export interface ReferralFacts {
  birthDate?: string
  referringPracticeOds?: string
  registeredPracticeOds?: string
  postcode?: string
  source?: string
  employmentSituation?: string
  dateWorkStopped?: string
  fitNote?: FitNoteFacts
  /** coded triage indicators, e.g. at-risk-of-job-loss, complex-health-needs */
  indicators: string[]
  /** an active Consent, for this patient, that permits the WorkWell referral and none that denies it */
  referralConsent: boolean
  /**
   * the provision.period of every permitting Consent, present only when each permit has one:
   * triage takes consent as current when any of them covers the day; a permit with no period
   * is open-ended, so then there is nothing to check (docs/hazard-log.md H3)
   */
  referralConsentPeriods?: Array<{ start?: string, end?: string }>
  reasonCodes: string[]
  isReferral: boolean
  /** the referral's date (ServiceRequest.authoredOn): records and addresses are read as at it */
  referralDate?: string
  /**
   * facts whose current records disagree (e.g. two employment records of the same latest date
   * with different situations): left unset, so triage asks rather than guesses
   */
  conflicts?: string[]
  patientIdentifier?: Identifier
}

function codes (cc: CodeableConcept | undefined, system: string): string[] {
  // Validation has checked the shapes; the typeof guards keep this pure function total anyway.
  const coding: unknown = cc?.coding
  if (!Array.isArray(coding)) return []
  return (coding as Array<{ system?: unknown, code?: unknown }>).filter((c) => c.system === system && typeof c.code === 'string').map((c) => c.code as string)
}

function odsOf (ref: Reference | undefined): string | undefined {
  const id = ref?.identifier
  return id?.system === SYSTEMS.odsOrganisation && typeof id.value === 'string' ? id.value.trim().toUpperCase() : undefined
}

/** An Observation withdrawn by its author says nothing (R4 observation-status). */
function isCurrent (o: Observation): boolean {
  return o.status !== 'entered-in-error' && o.status !== 'cancelled'
}

function isIndicator (o: Observation): boolean {
  return codes(o.code, SYSTEMS.workwellObservation).includes('triage-indicator')
}

function indicatorsOf (o: Observation): string[] {
  if (o.valueBoolean === false) return []
  return [
    ...codes(o.valueCodeableConcept, TRIAGE_INDICATOR_SYSTEM),
    ...codes(o.valueCodeableConcept, ICD10).map((c) => ICD10_INDICATORS[c]).filter((c): c is string => c !== undefined)
  ]
}

function isEmploymentStatus (o: Observation): boolean {
  return codes(o.code, SYSTEMS.workwellObservation).includes('employment-situation')
}

/**
 * 'not fit' or 'may be fit', from the outcome value and the eMED3 concept (DWP Med3 form).
 * When the two disagree the outcome is left unknown, so triage asks for it: the difference
 * decides priority and must never be settled by picking one (docs/hazard-log.md H7).
 */
function fitNoteOutcome (o: Observation): 'not-fit' | 'may-be-fit' | undefined {
  const fromValue = codes(o.valueCodeableConcept, SYSTEMS.fitNoteOutcome).filter((c) => c === 'not-fit' || c === 'may-be-fit')
  const fromCode = codes(o.code, SYSTEMS.snomed).map((c) => FIT_NOTE_CODES[c]).filter((c) => c !== undefined)
  const all = new Set([...fromValue, ...fromCode])
  return all.size === 1 ? [...all][0] : undefined
}

function isFitNote (o: Observation): boolean {
  return codes(o.code, SYSTEMS.snomed).some((c) => FIT_NOTE_CODES[c] !== undefined)
}

function fitNoteFacts (o: Observation): FitNoteFacts {
  const advice = (o.component ?? [])
    .filter((c) => c.valueBoolean !== false)
    .flatMap((c) => codes(c.code, SYSTEMS.snomed))
    .map((c) => FIT_NOTE_ADVICE[c])
    .filter((a): a is string => a !== undefined)
  const facts: FitNoteFacts = { advice }
  const outcome = fitNoteOutcome(o)
  if (outcome !== undefined) facts.outcome = outcome
  if (o.effectivePeriod?.start !== undefined) facts.start = o.effectivePeriod.start
  if (o.effectivePeriod?.end !== undefined) facts.end = o.effectivePeriod.end
  return facts
}

/**
 * What a Consent says about the WorkWell referral (docs/hazard-log.md H3: distinct, withdrawable consents
 * for the referral, employer contact and evaluation). Only an active Consent whose provision
 * names the workwell-referral purpose counts, either way; one for another purpose, or for no
 * stated purpose, says nothing about the referral (docs/hazard-log.md H3).
 */
function referralConsentOf (c: Consent): 'permit' | 'deny' | undefined {
  if (c.status !== 'active') return undefined
  const purposes = (c.provision?.code ?? []).flatMap((cc) => codes(cc, SYSTEMS.consentPurpose))
  if (!purposes.includes('workwell-referral')) return undefined
  return c.provision?.type === 'deny' ? 'deny' : 'permit'
}

/** The first England day a record took effect, or undefined when it is undated or unreadable. */
function effectiveDay (o: Observation): string | undefined {
  const value = o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.effectiveInstant ?? o.issued
  return value === undefined ? undefined : dayBounds(value)?.first
}

/** False when a period ended before the referral day: the record or address no longer holds. */
function currentOn (period: { start?: string, end?: string } | undefined, day: string | undefined): boolean {
  if (period?.end === undefined) return period?.start === undefined || day === undefined || (dayBounds(period.start)?.first ?? '') <= day
  const end = dayBounds(period.end)
  // An end date with no referral date to judge it by: the record is taken as ended.
  if (end === undefined || day === undefined) return false
  return end.last >= day && (period.start === undefined || (dayBounds(period.start)?.first ?? '') <= day)
}

/**
 * Records latest first: the latest effective date wins,
 * never the last listed (an old "employed" must not outrank today's "out of work"); undated
 * records come after every dated one.
 */
function latestFirst (records: Observation[]): Observation[] {
  return records
    .map((o) => ({ o, at: effectiveDay(o) ?? '' }))
    .sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? 1 : -1))
    .map(({ o }) => o)
}

/** Address uses that are never where the person lives now (R4 address-use). */
const NOT_HOME: ReadonlySet<string> = new Set(['work', 'old', 'billing'])

/**
 * The home postcode as at the referral: a current address (its period covers the referral day)
 * whose use is home, else one with no use or a temporary one; never a work, old or billing
 * address, nor one whose period has ended (docs/hazard-log.md H17).
 */
function homePostcode (patient: Patient | undefined, day: string | undefined): string | undefined {
  const current = (patient?.address ?? []).filter((a: Address) => a.postalCode !== undefined && !NOT_HOME.has(a.use ?? '') && currentOn(a.period, day))
  return (current.find((a) => a.use === 'home') ?? current[0])?.postalCode
}

/** A resource counts only for the referral's own Patient: one naming another person says nothing. */
function aboutPatient (pkg: ReferralPackage, subject: Reference | undefined, patient: Patient | undefined): boolean {
  if (subject === undefined) return true
  return patient !== undefined && pkg.resolve(subject)?.resource === patient
}

const situationOf = (o: Observation): string | undefined => codes(o.valueCodeableConcept, SYSTEMS.employmentSituation)[0]

/**
 * The employment situation from the current record (latest first). Records of the same latest
 * date that disagree are a contradiction: the situation is left unset and named in conflicts,
 * so triage asks rather than picks one (docs/hazard-log.md H17).
 */
function readEmployment (facts: ReferralFacts, records: Observation[]): void {
  const first = records[0]
  if (first === undefined) return
  const at = effectiveDay(first)
  const same = records.filter((o) => effectiveDay(o) === at)
  const situations = new Set(same.map(situationOf))
  if (situations.size > 1) {
    facts.conflicts = [...(facts.conflicts ?? []), 'employment situation']
    return
  }
  const situation = situationOf(first)
  if (situation !== undefined) facts.employmentSituation = situation
  const stopped = first.component?.find((c) => codes(c.code, SYSTEMS.workwellObservation).includes('date-work-stopped'))
  if (stopped?.valueDateTime !== undefined) facts.dateWorkStopped = stopped.valueDateTime
}

/** Reads the facts triage and routing need from a referral or triage request. Pure. */
export function extractFacts (pkg: ReferralPackage): ReferralFacts {
  const sr = pkg.serviceRequest
  const patient = resolvePatient(pkg)?.resource
  const facts: ReferralFacts = {
    indicators: [],
    referralConsent: false,
    reasonCodes: (sr.reasonCode ?? []).flatMap((cc) => codes(cc, SYSTEMS.snomed)),
    isReferral: sr.intent === 'order' || sr.intent === 'original-order'
  }
  if (patient?.birthDate !== undefined) facts.birthDate = patient.birthDate
  const nhs = patient?.identifier?.find((i) => i.system === SYSTEMS.nhsNumber)
  if (nhs !== undefined) facts.patientIdentifier = { system: nhs.system, value: nhs.value }
  const referring = odsOf(sr.requester)
  if (referring !== undefined) facts.referringPracticeOds = referring
  const registered = patient?.generalPractitioner?.map(odsOf).find((c) => c !== undefined)
  if (registered !== undefined) facts.registeredPracticeOds = registered
  const day = sr.authoredOn === undefined ? undefined : dayBounds(sr.authoredOn)?.first
  if (sr.authoredOn !== undefined) facts.referralDate = sr.authoredOn
  const postcode = homePostcode(patient, day)
  if (postcode !== undefined) facts.postcode = postcode
  const source = (sr.category ?? []).flatMap((cc) => codes(cc, SYSTEMS.referralSource))[0]
  if (source !== undefined) facts.source = source

  let denied = false
  let openEnded = false
  const periods: Array<{ start?: string, end?: string }> = []
  const employmentRecords: Observation[] = []
  const fitNotes: Observation[] = []
  for (const ref of [...(sr.supportingInfo ?? []), ...(sr.reasonReference ?? [])]) {
    const found = pkg.resolve(ref)?.resource
    if (found === undefined) continue
    if (found.resourceType === 'Observation' && (!isCurrent(found) || !aboutPatient(pkg, found.subject, patient))) continue
    if (found.resourceType === 'Observation' && isIndicator(found)) {
      // Indicators are kept whatever their dates: an old risk record is for a clinician to weigh.
      for (const i of indicatorsOf(found)) if (!facts.indicators.includes(i)) facts.indicators.push(i)
    } else if (found.resourceType === 'Observation' && isEmploymentStatus(found)) {
      employmentRecords.push(found)
    } else if (found.resourceType === 'Observation' && isFitNote(found)) {
      fitNotes.push(found)
    } else if (found.resourceType === 'Consent' && aboutPatient(pkg, found.patient, patient)) {
      const says = referralConsentOf(found)
      if (says === 'deny') denied = true
      if (says === 'permit') {
        // Every permit is kept: one permit's expired period must not hide another's current one.
        facts.referralConsent = true
        const period = found.provision?.period
        if (period === undefined) openEnded = true
        else periods.push({ ...(period.start === undefined ? {} : { start: period.start }), ...(period.end === undefined ? {} : { end: period.end }) })
      }
    }
  }
  // Only records current at the referral say what the situation is now.
  readEmployment(facts, latestFirst(employmentRecords.filter((o) => currentOn(o.effectivePeriod, day))))
  // The latest fit note, even one that has ended: an ended note informs triage, and triage
  // itself keeps it from setting priority (src/triage/triage.ts).
  const note = latestFirst(fitNotes)[0]
  if (note !== undefined) facts.fitNote = fitNoteFacts(note)
  if (facts.referralConsent && !openEnded) facts.referralConsentPeriods = periods
  // A withdrawal recorded alongside a permit wins: consent is never assumed.
  if (denied) {
    facts.referralConsent = false
    delete facts.referralConsentPeriods
  }
  return facts
}
