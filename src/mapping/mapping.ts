import type { FhirPathAtom } from '@medplum/core'
import type { ServiceRequest, Task } from '@medplum/fhirtypes'
import type { DeliveryFormat } from '../routing/partnership.ts'

/**
 * One output field of a mapping. `path` is a FHIRPath expression evaluated against the
 * ServiceRequest, with these variables:
 * - `%patient`: the Patient the ServiceRequest's `subject` points at among its contained
 *   resources (else the first contained Patient, else an empty Patient);
 * - `%task`: the triage Task;
 * - `%serviceRequest`: the ServiceRequest itself (handy inside `where()`).
 * Contained resources are also reachable directly, e.g. `contained.ofType(Observation)`.
 */
export interface MappingField {
  /**
   * the JSON key or CSV column, as the partnership's system names it: a letter, then letters,
   * digits or '_'
   */
  name: string
  /** FHIRPath expression */
  path: string
  /** when true, a field that yields nothing (or only empty strings) fails the mapping */
  required?: boolean
  /**
   * when true, the field keeps every value (a JSON array; ';'-joined in CSV). When false a
   * second value is an error rather than silently dropped: use `.first()` to pick one.
   */
  multiple?: boolean
  description?: string
  /**
   * `path` parsed, set by loadMapping: parsing costs about ten times the evaluation itself
   * (~90 µs against ~7 µs a field, measured), so a referral must not pay for it. Absent, the
   * path is parsed on each use.
   */
  compiled?: FhirPathAtom
}

/** The content of mappings/<id>/mapping.json. */
export interface MappingDefinition {
  format: DeliveryFormat
  /** version of this mapping; bump it whenever its output changes */
  version: string
  /** what the partnership's system expects: the record or file layout in words */
  description?: string
  /**
   * json-record and csv: the names the partnership's system uses for the envelope keys
   * (referralId, taskId, partnershipId); a key not renamed keeps its own name
   */
  envelope?: Partial<Record<EnvelopeKey, string>>
  /**
   * json-record and csv: the output fields. fhir-bundle: only checked (required ones must
   * yield a value), so that a referral a partnership cannot use fails before delivery.
   */
  fields: MappingField[]
}

/** A loaded mapping: the definition plus the partnership it belongs to (its folder name). */
export interface Mapping extends MappingDefinition {
  partnershipId: string
}

/** What a referral is mapped from: the stored ServiceRequest and its triage Task. */
export interface MapInput {
  serviceRequest: ServiceRequest
  task: Task
}

/** A mapped referral ready to POST, or the required fields that came out empty. */
export type MapResult =
  | { ok: true, contentType: string, body: string }
  | { ok: false, missing: string[] }

/**
 * Keys every json-record and csv output starts with, filled by the engine rather than by
 * fields so that a partnership can always tie a record back to the referral and the Task.
 * A mapping may rename them (MappingDefinition.envelope) but not leave them out.
 */
export const ENVELOPE_KEYS = ['referralId', 'taskId', 'partnershipId'] as const

/** One of ENVELOPE_KEYS. */
export type EnvelopeKey = typeof ENVELOPE_KEYS[number]

/**
 * The output names of the envelope keys, in order, after the mapping's renames.
 * @param mapping - the mapping (only its `envelope` is read)
 */
export function envelopeNames (mapping: Pick<MappingDefinition, 'envelope'>): string[] {
  return ENVELOPE_KEYS.map((key) => mapping.envelope?.[key] ?? key)
}

/** Media types by delivery format. `header=present` is the RFC 4180 §3 parameter. */
export const CONTENT_TYPES: Record<DeliveryFormat, string> = {
  'fhir-bundle': 'application/fhir+json; charset=utf-8',
  'json-record': 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present'
}
