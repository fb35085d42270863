import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'

/**
 * Finds empty arrays, empty objects and empty strings anywhere in a resource. R4 json.html
 * §2.6.2: arrays SHALL NOT be empty, an element SHALL have a value or children (ele-1), and a
 * string SHALL NOT be empty. @medplum/core accepts all three (e.g. `"value": []`), so they are
 * checked here, each reported once with its FHIRPath.
 * @param resource - the parsed resource
 * @param root - the FHIRPath of the resource, e.g. "ServiceRequest"
 */
export function checkEmptyValues (resource: Record<string, unknown>, root: string): OperationOutcomeIssue[] {
  const found: OperationOutcomeIssue[] = []
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      if (value.length === 0) {
        found.push(issue('error', 'structure', `${path} is an empty array; omit the element instead (arrays SHALL NOT be empty)`, path))
        return
      }
      value.forEach((v, i) => { visit(v, `${path}[${i}]`) })
      return
    }
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value)
      if (entries.length === 0) {
        found.push(issue('error', 'structure', `${path} is an empty object; an element needs a value or children (ele-1)`, path))
        return
      }
      for (const [k, v] of entries) visit(v, `${path}.${k}`)
      return
    }
    if (value === '') {
      found.push(issue('error', 'structure', `${path} is an empty string; omit the element instead`, path))
    }
  }
  for (const [k, v] of Object.entries(resource)) visit(v, `${root}.${k}`)
  return found
}
