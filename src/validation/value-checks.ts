import { crawlTypedValue, toTypedValue, validationRegexes } from '@medplum/core'
import type { TypedValueWithPath } from '@medplum/core'
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import { toFhirPath } from './issues.ts'
import { isJsonObject } from './json.ts'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from './nhs-number.ts'
import { isValidOdsCode, ODS_ORGANIZATION_CODE_SYSTEM } from './ods-code.ts'
import { REQUIRED_BINDINGS } from './required-bindings.ts'

/**
 * Value checks @medplum/core does not make, in one typed walk of the resource (its own crawler,
 * so every value comes with its FHIR type and path, contained resources included):
 * - required bindings of base R4 on status/intent/priority codes (required-bindings.ts);
 * - dateTime and instant against the R4 regular expressions (datatypes.html#dateTime: "If hours
 *   and minutes are specified, a time zone SHALL be populated"); medplum's own expression lets
 *   a time without a zone through;
 * - NHS numbers (Modulus 11) and ODS organisation codes (shape) in any Identifier with their
 *   system. An Identifier's system defines what its value means (R4 datatypes.html#Identifier),
 *   so a bad NHS number is wrong wherever it appears: Patient.identifier or a logical reference.
 */

/** R4 datatypes.html, dateTime and instant regular expressions, anchored. */
const R4_DATE_TIME = /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/
const R4_INSTANT = /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/
const HAS_ZONE = /(Z|[+-]\d{2}:\d{2})$/

/**
 * Runs the value checks on a resource whose resourceType is known to the engine.
 * @param resource - the resource (contained resources must have known types too)
 * @returns issues, one per bad value
 */
export function checkValues (resource: Resource): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = []
  crawlTypedValue(toTypedValue(resource), {
    visitProperty (_parent, key, _path, propertyValues, schema) {
      const elementPath = schema.elements[key]?.path
      for (const value of propertyValues.flat()) {
        checkValue(value, elementPath, issues)
      }
    }
  })
  return issues
}

function checkValue (value: TypedValueWithPath, elementPath: string | undefined, issues: OperationOutcomeIssue[]): void {
  const where = toFhirPath(value.path)
  switch (value.type) {
    case 'code': {
      const binding = elementPath === undefined ? undefined : REQUIRED_BINDINGS[elementPath]
      const code = primitiveString(value.value)
      if (binding && code !== undefined && !binding.codes.includes(code)) {
        issues.push(issue('error', 'code-invalid',
          `'${code}' is not a valid ${elementPath ?? 'code'}: the required value set ${binding.valueSet} allows ${binding.codes.join(' | ')}`,
          where))
      }
      break
    }
    case 'dateTime':
    case 'instant':
      checkDateTime(value.type, primitiveString(value.value), where, issues)
      break
    case 'Identifier':
      checkIdentifier(value.value, where, issues)
      break
    default:
      break
  }
}

function checkDateTime (type: 'dateTime' | 'instant', text: string | undefined, where: string, issues: OperationOutcomeIssue[]): void {
  // Report only what medplum let through, so one bad value gives one issue.
  if (text === undefined || !(validationRegexes[type]?.test(text) ?? false)) {
    return
  }
  if ((type === 'dateTime' ? R4_DATE_TIME : R4_INSTANT).test(text)) {
    return
  }
  const reason = text.includes('T') && !HAS_ZONE.test(text)
    ? 'has a time but no time zone; R4 requires a zone (Z or ±hh:mm) whenever a time is given'
    : 'is not in the R4 format (a time needs hours, minutes, seconds and a zone)'
  issues.push(issue('error', 'value', `${type} '${text}' ${reason} (${where})`, where))
}

function checkIdentifier (identifier: unknown, where: string, issues: OperationOutcomeIssue[]): void {
  if (!isJsonObject(identifier)) {
    return
  }
  const { system, value } = identifier
  if (system !== NHS_NUMBER_SYSTEM && system !== ODS_ORGANIZATION_CODE_SYSTEM) {
    return
  }
  const valuePath = `${where}.value`
  if (typeof value !== 'string') {
    // UK Core slices nhsNumber and odsOrganisationCode both make value 1..1.
    if (value === undefined) {
      issues.push(issue('error', 'required', `An identifier with system ${system} must have a value (${valuePath})`, valuePath))
    }
    return
  }
  if (system === NHS_NUMBER_SYSTEM && !isValidNhsNumber(value)) {
    issues.push(issue('error', 'value',
      // The number itself is left out: outcomes get logged, and logs never carry NHS numbers (DESIGN.md).
      `Invalid NHS number: it must be 10 digits whose last is the Modulus 11 check digit of the other 9 (${valuePath})`,
      valuePath))
  }
  if (system === ODS_ORGANIZATION_CODE_SYSTEM && !isValidOdsCode(value)) {
    issues.push(issue('error', 'value',
      `'${value}' is not an ODS organisation code: expected 3 to 6 upper-case letters or digits, at least one a letter (${valuePath})`,
      valuePath))
  }
}

/** The string of a primitive value; medplum wraps primitives that carry `_x` extensions in String objects. */
function primitiveString (value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value
  }
  return value instanceof String ? value.valueOf() : undefined
}
