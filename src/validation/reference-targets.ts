import type { OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import { HL7_STRUCTURE_DEFINITION } from './base-definitions.ts'
import type { JsonObject } from './json.ts'
import { isJsonObject } from './json.ts'

/**
 * Reference target types (ElementDefinition.type.targetProfile) of a profile's top-level
 * elements. @medplum/core only warns about a wrong target, only for `Type/id` references and
 * only when every target is an hl7.org URL; it ignores `#contained` references and
 * `Reference.type` (@medplum/core 4.5's referenceTypeCheck). A profile's targets are
 * part of its rules (R4 profiling.html §5.1.0.3), so under a profile a wrong target is an error.
 */
export interface ReferenceRule {
  /** element name on the resource, e.g. "subject" */
  readonly name: string
  /** whether the element repeats (base max > 1), so values are indexed in expressions */
  readonly repeats: boolean
  /** the resource types the element may reference */
  readonly targets: readonly string[]
}

/** Resolves a profile URL to the resource type it constrains, when that profile is known. */
export type ProfileTypeLookup = (url: string) => string | undefined

/**
 * Collects the reference rules of a profile's snapshot: its top-level, non-choice elements of
 * type Reference with targetProfiles. An element is skipped when one of its targets cannot be
 * resolved to a type (e.g. a profile that is not loaded), since any reference might then match.
 * @param profile - a StructureDefinition with a snapshot
 * @param profileType - resolves non-hl7.org target profiles
 * @returns one rule per checkable element
 */
export function referenceRulesOf (profile: StructureDefinition, profileType: ProfileTypeLookup): ReferenceRule[] {
  const rules: ReferenceRule[] = []
  const prefix = `${profile.type ?? ''}.`
  for (const element of profile.snapshot?.element ?? []) {
    const name = element.path?.startsWith(prefix) ? element.path.slice(prefix.length) : ''
    if (!/^[a-z][A-Za-z0-9]*$/.test(name) || element.sliceName !== undefined) {
      continue
    }
    const reference = element.type?.find((t) => t.code === 'Reference')
    if (!reference?.targetProfile || reference.targetProfile.length === 0) {
      continue
    }
    const targets = reference.targetProfile.map((url) =>
      url.startsWith(HL7_STRUCTURE_DEFINITION) ? url.slice(HL7_STRUCTURE_DEFINITION.length) : profileType(url))
    if (targets.some((t) => t === undefined || t === 'Resource' || t === 'DomainResource')) {
      continue
    }
    const max = element.base?.max ?? element.max ?? '1'
    rules.push({ name, repeats: max !== '0' && max !== '1', targets: targets.filter((t) => t !== undefined) })
  }
  return rules
}

/**
 * Checks that each reference of `resource` governed by a rule points at an allowed type.
 * The referenced type comes from the literal reference (`#id` looked up in the container,
 * `Type/id`, `Type?query`, or an absolute URL ending in `Type/id[/_history/v]`) and from
 * `Reference.type`; a `urn:` reference without `type` cannot be judged here and passes.
 * @param resource - the resource holding the references
 * @param rules - from {@link referenceRulesOf}
 * @param path - FHIRPath of `resource` (its type, or e.g. "ServiceRequest.contained[0]")
 * @param container - the resource whose `contained` list `#id` references resolve against
 * @returns one error per wrong reference
 */
export function checkReferenceTargets (
  resource: JsonObject,
  rules: readonly ReferenceRule[],
  path: string,
  container: JsonObject
): OperationOutcomeIssue[] {
  let issues: OperationOutcomeIssue[] | undefined
  for (const rule of rules) {
    const raw = resource[rule.name]
    if (raw === undefined) {
      continue
    }
    if (rule.repeats && Array.isArray(raw)) {
      for (let index = 0; index < raw.length; index++) {
        issues = checkOne(raw[index], rule, path, index, container, issues)
      }
    } else {
      issues = checkOne(raw, rule, path, rule.repeats ? 0 : -1, container, issues)
    }
  }
  return issues ?? []
}

/**
 * Checks one Reference value; `index` is its position when the element repeats, else -1.
 * @returns `issues`, with an error added (and created) when the target is not allowed
 */
function checkOne (
  value: unknown,
  rule: ReferenceRule,
  path: string,
  index: number,
  container: JsonObject,
  issues: OperationOutcomeIssue[] | undefined
): OperationOutcomeIssue[] | undefined {
  if (!isJsonObject(value)) {
    return issues // absent, or a shape error the structural pass reports
  }
  // A `#id` with no contained resource is ref-1's to report, in base validation.
  const literal = literalType(value, container)
  const declared = declaredType(value)
  issues = checkType(literal, rule, path, index, issues)
  return declared === literal ? issues : checkType(declared, rule, path, index, issues)
}

function checkType (
  type: string | undefined,
  rule: ReferenceRule,
  path: string,
  index: number,
  issues: OperationOutcomeIssue[] | undefined
): OperationOutcomeIssue[] | undefined {
  if (type === undefined || rule.targets.includes(type)) {
    return issues
  }
  const where = index < 0 ? `${path}.${rule.name}` : `${path}.${rule.name}[${index}]`
  const out = issues ?? []
  out.push(issue('error', 'invalid', `${where} must reference a ${rule.targets.join(' or ')}, not a ${type}`, where))
  return out
}

/** Absolute or relative literal reference: `[base/]Type/id[/_history/vid]` (R4 references.html §2.3.0.1). */
const LITERAL = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/
const CONDITIONAL = /^([A-Z][A-Za-z]+)\?/

/** The type a literal reference names: `#id` looked up in the container, `[base/]Type/id`, `Type?query`. */
function literalType (reference: JsonObject, container: JsonObject): string | undefined {
  const literal = reference.reference
  if (typeof literal !== 'string' || literal.startsWith('urn:')) {
    return undefined
  }
  if (literal.startsWith('#')) {
    return findContained(container, literal.slice(1))
  }
  return LITERAL.exec(literal)?.[1] ?? CONDITIONAL.exec(literal)?.[1]
}

/** Reference.type, a URI; for base types the bare name is allowed (R4 datatypes Reference.type). */
function declaredType (reference: JsonObject): string | undefined {
  const type = reference.type
  if (typeof type !== 'string') {
    return undefined
  }
  return type.startsWith(HL7_STRUCTURE_DEFINITION) ? type.slice(HL7_STRUCTURE_DEFINITION.length) : type
}

/** The resourceType of the contained resource with `id` ("" is the container itself). */
function findContained (container: JsonObject, id: string): string | undefined {
  if (id === '') {
    return typeof container.resourceType === 'string' ? container.resourceType : undefined
  }
  const contained = Array.isArray(container.contained) ? container.contained : []
  for (const entry of contained) {
    if (isJsonObject(entry) && entry.id === id && typeof entry.resourceType === 'string') {
      return entry.resourceType
    }
  }
  return undefined
}
