import { evalFhirPath, toTypedValue } from '@medplum/core'
import type { TypedValue } from '@medplum/core'
import type { Patient, ServiceRequest } from '@medplum/fhirtypes'
import type { MapInput, MappingField } from './mapping.ts'

/** A primitive a field may yield. */
export type FieldValue = string | number | boolean

/** Field values by field name, and the required fields that yielded nothing. */
export interface EvaluatedFields {
  values: Map<string, FieldValue[]>
  missing: string[]
}

/**
 * A mapping that cannot be applied as written (not a data problem a referrer could fix):
 * a field yielding a non-primitive, several values where one is expected, or a FHIRPath
 * error. The message names the field only, never a value, so it is safe to store and log.
 */
export class MappingFieldError extends Error {
  readonly field: string

  constructor (field: string, message: string, options?: ErrorOptions) {
    super(`field '${field}': ${message}`, options)
    this.name = 'MappingFieldError'
    this.field = field
  }
}

/**
 * The FHIRPath variables every mapping expression may use (see MappingField).
 * @param input - the referral being mapped
 */
export function mappingVariables (input: MapInput): Record<string, TypedValue> {
  return {
    '%patient': toTypedValue(subjectPatient(input.serviceRequest)),
    '%task': toTypedValue(input.task),
    '%serviceRequest': toTypedValue(input.serviceRequest)
  }
}

/**
 * Evaluates every field against the referral.
 * @throws MappingFieldError when a field cannot be evaluated as its definition says
 */
export function evaluateFields (fields: MappingField[], input: MapInput): EvaluatedFields {
  const variables = mappingVariables(input)
  const values = new Map<string, FieldValue[]>()
  const missing: string[] = []
  for (const field of fields) {
    const found = evaluateField(field, input.serviceRequest, variables)
    if (found.length === 0 && field.required === true) {
      missing.push(field.name)
    }
    values.set(field.name, found)
  }
  return { values, missing }
}

function evaluateField (
  field: MappingField,
  serviceRequest: ServiceRequest,
  variables: Record<string, TypedValue>
): FieldValue[] {
  let raw: unknown[]
  try {
    raw = evalFhirPath(field.compiled ?? field.path, serviceRequest, variables)
  } catch (err) {
    throw new MappingFieldError(field.name, 'FHIRPath evaluation failed', { cause: err })
  }
  const found: FieldValue[] = []
  for (const value of raw) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new MappingFieldError(field.name, 'yields an element, not a primitive value')
    }
    // "".join() of an empty collection gives '' — that is no value, not an empty one
    if (value !== '') {
      found.push(value)
    }
  }
  if (found.length > 1 && field.multiple !== true) {
    throw new MappingFieldError(field.name, `yields ${found.length} values; use .first() or mark it multiple`)
  }
  return found
}

/**
 * The contained Patient that `subject` points at ("#id"), else the first contained Patient,
 * else an empty Patient so that `%patient...` expressions yield nothing rather than throw.
 */
function subjectPatient (serviceRequest: ServiceRequest): Patient {
  const patients = (serviceRequest.contained ?? []).filter((r): r is Patient => r.resourceType === 'Patient')
  const ref = serviceRequest.subject?.reference
  const bySubject = ref?.startsWith('#') === true ? patients.find((p) => p.id === ref.slice(1)) : undefined
  return bySubject ?? patients[0] ?? { resourceType: 'Patient' }
}
