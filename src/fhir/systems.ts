/**
 * Identifier and code systems the gateway reads and writes.
 *
 * WorkWell's own canonical base is one the project owns (never an nhs.uk address): the
 * profiles, CodeSystems and ValueSets in profiles/ live under it.
 */
export const WORKWELL_BASE = 'https://fhir.workwell.example'

export const SYSTEMS = {
  nhsNumber: 'https://fhir.nhs.uk/Id/nhs-number',
  // UK Core uses the US spelling in the system URL although its prose says "organisation" (UK Core Organization profile).
  odsOrganisation: 'https://fhir.nhs.uk/Id/ods-organization-code',
  snomed: 'http://snomed.info/sct',
  referralSource: `${WORKWELL_BASE}/CodeSystem/referral-source`,
  employmentSituation: `${WORKWELL_BASE}/CodeSystem/employment-situation`,
  workwellObservation: `${WORKWELL_BASE}/CodeSystem/workwell-observation`,
  fitNoteOutcome: `${WORKWELL_BASE}/CodeSystem/fit-note-outcome`,
  consentPurpose: `${WORKWELL_BASE}/CodeSystem/consent-purpose`,
  triageOutcome: `${WORKWELL_BASE}/CodeSystem/triage-outcome`,
  serviceType: `${WORKWELL_BASE}/CodeSystem/service-type`,
  signpostType: `${WORKWELL_BASE}/CodeSystem/signpost-type`,
  triageOutput: `${WORKWELL_BASE}/CodeSystem/triage-output`,
  triageRule: `${WORKWELL_BASE}/CodeSystem/triage-rule`,
  partnershipId: `${WORKWELL_BASE}/Id/partnership`
} as const

export const EXTENSIONS = {
  triageRulesVersion: `${WORKWELL_BASE}/StructureDefinition/triage-rules-version`,
  triageReason: `${WORKWELL_BASE}/StructureDefinition/triage-reason`
} as const
