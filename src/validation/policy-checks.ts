import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import type { JsonObject } from './json.ts'
import { isJsonObject } from './json.ts'
import type { SchemaType } from './r4-schema.ts'

/**
 * Checks a receiver may choose to make beyond FHIR R4's rules (ValidateOptions): both are off
 * by default, since R4 allows what they reject.
 * - unknown extensions: an extension whose definition is not known here is rejected. R4 lets
 *   any extension through (extensibility.html §2.5.0.1: `extension` is open); a receiver that
 *   must understand everything it keeps can refuse the rest, as the HL7 Java validator does by
 *   default ("could not be found so is not allowed here").
 * - example URLs: uri, url and canonical values on example.org, example.com or acme.com, the
 *   domains FHIR's examples use (RFC 2606), are rejected, as the Java validator does when
 *   examples are not allowed: they never identify anything real.
 */

/** Which policy checks to run. */
export interface PolicyOptions {
  readonly unknownExtensions: boolean
  readonly exampleUrls: boolean
}

/** What the checks need to know about base R4 and the loaded extensions. */
export interface PolicySchema {
  readonly types: ReadonlyMap<string, { readonly def: SchemaType }>
  /** whether an extension URL has a definition here (R4 core or loaded) */
  readonly knowsExtension: (url: string) => boolean
}

const URI_TYPES = new Set(['uri', 'url', 'canonical'])
const EXAMPLE_HOST = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*\.)?(example\.org|example\.com|acme\.com)([:/?#]|$)/i

/**
 * Runs the policy checks on a resource (nested resources included).
 * @param schema - base R4 and the known extensions
 * @param resource - the resource
 * @param path - its FHIRPath
 * @param options - which checks
 * @returns the issues found, errors
 */
export function checkPolicies (schema: PolicySchema, resource: JsonObject, path: string, options: PolicyOptions): OperationOutcomeIssue[] {
  const found: OperationOutcomeIssue[] = []
  const visitResource = (obj: JsonObject, where: string): void => {
    const t = typeof obj.resourceType === 'string' ? schema.types.get(obj.resourceType) : undefined
    if (t) {
      visit(obj, t.def, where)
    }
  }
  const visit = (obj: JsonObject, t: SchemaType, where: string): void => {
    for (const key in obj) {
      const value = obj[key]
      const primitiveExtension = key.charCodeAt(0) === 95 // `_x`: the extensions of primitive x
      const name = primitiveExtension ? key.slice(1) : key
      const element = t.elements.find((e) => e.choice ? name.startsWith(e.name) && e.types.some((c) => capitalise(c) === name.slice(e.name.length)) : e.name === name)
      if (!element) {
        continue
      }
      const type = element.choice ? (element.types.find((c) => capitalise(c) === name.slice(element.name.length)) ?? '') : (element.types[0] ?? '')
      const items: unknown[] = Array.isArray(value) ? value : [value]
      items.forEach((item, i) => {
        const at = Array.isArray(value) ? `${where}.${name}[${i}]` : `${where}.${name}`
        if (primitiveExtension) {
          if (isJsonObject(item)) {
            visit(item, schema.types.get('Element')?.def ?? t, at)
          }
          return
        }
        if (typeof item === 'string' && options.exampleUrls && URI_TYPES.has(type) && EXAMPLE_HOST.test(item)) {
          found.push(issue('error', 'value', `Example URLs are not allowed here (${at})`, at))
        }
        if (!isJsonObject(item)) {
          return
        }
        // a sub-extension (inside an Extension) belongs to its parent's definition
        if (type === 'Extension' && t.name !== 'Extension' && options.unknownExtensions && typeof item.url === 'string' && !schema.knowsExtension(item.url)) {
          found.push(issue('error', 'structure', `The extension ${item.url} is not known here, so it is not allowed (${at})`, at))
        }
        const target = schema.types.get(type)
        if (type === 'Resource' || target?.def.kind === 'resource') {
          visitResource(item, at)
        } else if (target && target.def.kind !== 'primitive') {
          visit(item, target.def, at)
        }
      })
    }
  }
  visitResource(resource, path)
  return found
}

function capitalise (code: string): string {
  return code.charAt(0).toUpperCase() + code.slice(1)
}
