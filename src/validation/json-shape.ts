import { capitalize, isPrimitiveType, isResourceType, tryGetDataType } from '@medplum/core'
import type { InternalSchemaElement, InternalTypeSchema } from '@medplum/core'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import type { JsonObject } from './json.ts'
import { describeJson, isJsonObject } from './json.ts'

/** What {@link guardJsonShape} found. */
export interface ShapeGuard {
  /** the input, or a copy without the properties that have the wrong JSON shape */
  readonly input: JsonObject
  /** one error per removed property */
  readonly issues: readonly OperationOutcomeIssue[]
}

/**
 * Removes, before @medplum/core sees them, the JSON shapes its validator cannot take:
 * - a primitive (string, number, boolean) where a complex type is expected, e.g.
 *   `"requester": "Practitioner/1"`. Medplum walks the string as an object and reports every
 *   character as an unknown element: a 100 kB string costs ~0.7 s and 100 000 issues;
 * - a primitive's extension element `_x` of the wrong shape (R4 json.html §2.6.2.1: an object
 *   for a single primitive, an array of objects and nulls for a repeating one), which makes
 *   medplum throw instead of reporting.
 * Each removal is reported as one error at the property. The walk follows medplum's own type
 * index (base R4), so it knows the type of every element; contained and Bundle entry
 * resources are followed by their resourceType. Copies only what it changes.
 * @param root - the resource, of a type the engine knows
 * @param type - its resourceType, also its FHIRPath
 * @returns the input to validate and the issues
 */
export function guardJsonShape (root: JsonObject, type: string): ShapeGuard {
  const issues: OperationOutcomeIssue[] = []

  const visit = (obj: JsonObject, typeName: string, path: string): JsonObject => {
    const schema = tryGetDataType(typeName)
    if (!schema) {
      return obj
    }
    let copy: JsonObject | undefined
    const change = (key: string, next: unknown): void => {
      copy ??= { ...obj }
      if (next === undefined) {
        delete copy[key]
      } else {
        copy[key] = next
      }
    }
    for (const [key, value] of Object.entries(obj)) {
      const isExtension = key.startsWith('_')
      const found = findElement(schema, isExtension ? key.slice(1) : key)
      if (!found) {
        continue // unknown elements are the engine's to report
      }
      const where = `${path}.${found.name}`
      if (isExtension) {
        const problem = extensionShapeProblem(value, obj[key.slice(1)], found.element.isArray === true)
        if (problem) {
          issues.push(issue('error', 'structure', `${problem} (${path}.${key})`, `${path}.${key}`))
          change(key, undefined)
        }
        continue
      }
      const code = found.code
      if (code === undefined || isPrimitiveType(code)) {
        continue
      }
      const isResource = code === 'Resource' || isResourceType(code)
      const items = Array.isArray(value) ? value : [value]
      const bad = items.findIndex((item) => !isResource && item !== null && typeof item !== 'object')
      if (bad >= 0) {
        const at = Array.isArray(value) ? `${where}[${bad}]` : where
        issues.push(issue('error', 'structure', `${at} must be a JSON object (FHIR type ${code}), not ${describeJson(items[bad])}`, at))
        change(key, undefined)
        continue
      }
      const next = items.map((item, i) => {
        if (!isJsonObject(item)) {
          return item
        }
        const itemType = isResource ? item.resourceType : code
        const itemPath = Array.isArray(value) ? `${where}[${i}]` : where
        return typeof itemType === 'string' ? visit(item, itemType, itemPath) : item
      })
      if (next.some((item, i) => item !== items[i])) {
        change(key, Array.isArray(value) ? next : next[0])
      }
    }
    return copy ?? obj
  }

  return { input: visit(root, type, type), issues }
}

/** An element of a type, by JSON property name; for a choice (`value[x]`) with the type the name picks. */
function findElement (
  schema: InternalTypeSchema,
  name: string
): { element: InternalSchemaElement, name: string, code: string | undefined } | undefined {
  const direct = schema.elements[name]
  if (direct) {
    return { element: direct, name, code: direct.type.length === 1 ? direct.type[0]?.code : undefined }
  }
  for (const [key, element] of Object.entries(schema.elements)) {
    if (!key.endsWith('[x]')) {
      continue
    }
    const base = key.slice(0, -3)
    const type = name.startsWith(base) ? element.type.find((t) => capitalize(t.code) === name.slice(base.length)) : undefined
    if (type) {
      return { element, name: base, code: type.code }
    }
  }
  return undefined
}

/** Why `_x` has the wrong shape for its element (R4 json.html §2.6.2.1), or undefined. */
function extensionShapeProblem (extension: unknown, primitive: unknown, repeats: boolean): string | undefined {
  if (!repeats) {
    return isJsonObject(extension) ? undefined : `The extension element of a single primitive must be a JSON object, not ${describeJson(extension)}`
  }
  if (!Array.isArray(extension) || !extension.every((item) => item === null || isJsonObject(item))) {
    return 'The extension element of a repeating primitive must be an array of JSON objects and nulls'
  }
  if (Array.isArray(primitive) && primitive.length !== extension.length) {
    return 'The extension element of a repeating primitive must have as many items as the primitive'
  }
  return undefined
}
