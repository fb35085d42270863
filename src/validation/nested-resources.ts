import { isResourceType } from '@medplum/core'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import type { JsonObject } from './json.ts'
import { describeJson, isJsonObject } from './json.ts'

/** A resource found inside another: in `contained`, `Bundle.entry.resource`, `Parameters`… */
export interface NestedResource {
  /** its FHIRPath, e.g. "ServiceRequest.contained[0]" or "Bundle.entry[3].resource" */
  readonly path: string
  readonly resource: JsonObject
  readonly type: string
  /** the resource whose `contained` list its `#id` references resolve against (R4 references.html §2.3.0.4) */
  readonly container: JsonObject
}

/** What {@link scanNestedResources} found. */
export interface NestedScan {
  /** the input, or a copy with each unusable nested resource replaced by a placeholder */
  readonly input: JsonObject
  /** FHIRPaths of the replaced resources: the engine's issues inside them are meaningless */
  readonly replaced: readonly string[]
  /** one error per replaced resource */
  readonly issues: readonly OperationOutcomeIssue[]
  /** the usable nested resources (inner ones before the resource holding them) */
  readonly nested: readonly NestedResource[]
}

/**
 * A resource the engine accepts with no issues of its own. Basic is a plain DomainResource
 * whose only required element is `code` (R4 basic.html).
 */
const PLACEHOLDER = Object.freeze({ resourceType: 'Basic', code: Object.freeze({ text: 'placeholder' }) })

/**
 * Finds the resources nested in a resource, before the engine runs. Two reasons:
 * - @medplum/core aborts the whole validation, with no path, when a nested resource has an
 *   unknown resourceType ("Unknown data type: Foo"). In FHIR JSON only resources carry
 *   `resourceType` (R4 json.html §2.6.2), so a nested object whose resourceType the engine
 *   does not know, or an item of `contained` that is not a resource at all, is reported at
 *   its own path and swapped for a placeholder; the rest is still validated.
 * - The profiles a nested resource claims in meta.profile apply to it too (e.g. the referral
 *   inside a transaction Bundle), so the caller needs each one with its path.
 * Copies only what it changes.
 * @param root - the resource (its own resourceType is checked by the caller)
 * @param rootPath - its FHIRPath, i.e. its resourceType
 * @returns the input to validate, what was replaced and why, and the nested resources
 */
export function scanNestedResources (root: JsonObject, rootPath: string): NestedScan {
  const replaced: string[] = []
  const issues: OperationOutcomeIssue[] = []
  const nested: NestedResource[] = []

  const replace = (path: string, problem: string): unknown => {
    replaced.push(path)
    issues.push(issue('error', 'structure', `${problem} (${path})`, path))
    return PLACEHOLDER
  }

  // `holder`: the nearest resource above; `inContained`: the value is an item of `contained`.
  const visit = (value: unknown, path: string, holder: JsonObject, inContained: boolean): unknown => {
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined
      value.forEach((item, i) => {
        const next = visit(item, `${path}[${i}]`, holder, inContained)
        if (next !== item) {
          copy ??= [...value]
          copy[i] = next
        }
      })
      return copy ?? value
    }
    if (!isJsonObject(value)) {
      return inContained ? replace(path, `Expected a contained resource (a JSON object), got ${describeJson(value)}`) : value
    }
    const isNested = value !== root && ('resourceType' in value || inContained)
    if (isNested) {
      const type = value.resourceType
      if (typeof type !== 'string' || !isResourceType(type)) {
        return replace(path, type === undefined
          ? 'A contained resource needs a resourceType'
          : `Unknown resource type ${typeof type === 'string' ? `'${type}'` : describeJson(type)}: not a FHIR R4 resource`)
      }
    }
    const self = isNested ? value : holder
    let copy: JsonObject | undefined
    for (const [key, child] of Object.entries(value)) {
      // `contained` holds resources only (R4 references.html §2.3.0.4).
      const next = visit(child, `${path}.${key}`, self, key === 'contained')
      if (next !== child) {
        copy ??= { ...value }
        copy[key] = next
      }
    }
    const result = copy ?? value
    if (isNested) {
      // Recorded after its children, so it is the copy the engine can read.
      nested.push({ path, resource: result, type: String(value.resourceType), container: inContained ? holder : value })
    }
    return result
  }

  const input = visit(root, rootPath, root, false)
  return { input: isJsonObject(input) ? input : root, replaced, issues, nested }
}

/**
 * Whether an issue concerns a replaced resource (or something inside it).
 * @param found - an issue
 * @param replaced - paths from {@link scanNestedResources}
 * @returns true when the issue should be dropped
 */
export function isInsideReplaced (found: OperationOutcomeIssue, replaced: readonly string[]): boolean {
  const where = found.expression?.[0]
  return where !== undefined && replaced.some((p) => where === p || where.startsWith(`${p}.`))
}
