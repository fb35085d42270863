import type { StructureDefinition } from '@medplum/fhirtypes'

/** A parsed JSON object (not null, not an array). */
export type JsonObject = Record<string, unknown>

/**
 * Narrows an unknown JSON value to a plain object.
 * @param value - any parsed JSON value
 * @returns true for objects that are neither null nor arrays
 */
export function isJsonObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Narrows a parsed JSON value to a StructureDefinition. Only the resourceType is checked: the
 * callers read definitions that are either HL7's own or built and checked by our script.
 * @param value - any parsed JSON value
 * @returns true when it claims to be a StructureDefinition
 */
export function isStructureDefinition (value: unknown): value is StructureDefinition {
  return isJsonObject(value) && value.resourceType === 'StructureDefinition'
}

/**
 * The StructureDefinitions in a parsed Bundle (R4 definition bundles such as
 * profiles-resources.json hold them with search parameters and other resources).
 * @param bundle - a parsed Bundle
 * @returns its StructureDefinition entries, in order
 */
export function structureDefinitionsOf (bundle: unknown): StructureDefinition[] {
  if (!isJsonObject(bundle) || !Array.isArray(bundle.entry)) {
    return []
  }
  const out: StructureDefinition[] = []
  for (const entry of bundle.entry) {
    if (isJsonObject(entry) && isStructureDefinition(entry.resource)) {
      out.push(entry.resource)
    }
  }
  return out
}

/**
 * Names the JSON kind of a value for messages, without echoing it (it may be large or personal).
 * @param value - any parsed JSON value
 * @returns e.g. "null", "an array", "a string"
 */
export function describeJson (value: unknown): string {
  if (value === null || value === undefined) {
    return String(value)
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}
