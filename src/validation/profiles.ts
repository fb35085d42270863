/** Canonical URL of the WorkWell referral profile (profiles/StructureDefinition-WorkWell-Referral.json). */
export const WORKWELL_REFERRAL_PROFILE = 'https://fhir.workwell.example/StructureDefinition/WorkWell-Referral'

/** Canonical URL of the fit-note triage request profile, required of a ServiceRequest sent to $triage (profiles/StructureDefinition-WorkWell-FitNoteTriageRequest.json). */
/** Canonical URL of the triage Task profile: every stored version of a triage Task must conform. */
export const TRIAGE_TASK_PROFILE = 'https://fhir.workwell.example/StructureDefinition/WorkWell-TriageTask'

export const FIT_NOTE_TRIAGE_PROFILE = 'https://fhir.workwell.example/StructureDefinition/WorkWell-FitNoteTriageRequest'
