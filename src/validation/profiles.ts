/** Canonical URL of the WorkWell referral profile (profiles/StructureDefinition-WorkWell-Referral.json). */
export const WORKWELL_REFERRAL_PROFILE = 'https://fhir.workwell.example/StructureDefinition/WorkWell-Referral'
