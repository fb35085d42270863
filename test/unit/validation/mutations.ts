import fc from 'fast-check'
import { isJsonObject } from '../../../src/validation/json.ts'
import type { JsonObject } from '../../../src/validation/json.ts'
import { NHS_NUMBER_SYSTEM } from '../../../src/validation/nhs-number.ts'
import { ODS_ORGANIZATION_CODE_SYSTEM } from '../../../src/validation/ods-code.ts'

/**
 * Mutations of FHIR JSON for property tests: the mistakes senders make (elements deleted,
 * duplicated, of the wrong JSON type, bad codes, wrong cardinality, bad references, unknown
 * properties, broken NHS numbers and ODS codes, dates without zones, empty values), each
 * applied at a path in the resource.
 */

export type Path = readonly (string | number)[]

export type Mutation =
  | { readonly kind: 'delete' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'replace', readonly value: unknown }
  | { readonly kind: 'wrap' }
  | { readonly kind: 'unwrap' }
  | { readonly kind: 'add-key', readonly key: string, readonly value: unknown }
  | { readonly kind: 'identifier', readonly system: string, readonly value: unknown }
  | { readonly kind: 'reference', readonly value: string }
  | { readonly kind: 'resource-type', readonly value: unknown }

/** Every path to a value in the tree (objects and arrays included), root excluded. */
export function pathsOf (value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = []
  if (Array.isArray(value)) {
    value.forEach((v, i) => { out.push([...prefix, i], ...pathsOf(v, [...prefix, i])) })
  } else if (isJsonObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      out.push([...prefix, k], ...pathsOf(v, [...prefix, k]))
    }
  }
  return out
}

/** Values of the wrong kind, bad codes and formats, and edge cases of FHIR JSON. */
const badValue = fc.oneof(
  fc.constantFrom('', [], {}, null, 0, -1, 1.5, 2 ** 31, true, false, 'x', ' padded ', 'two  spaces', 'not-a-code', 'UNKNOWN'),
  fc.constantFrom('2026-13-45', '2026-02-30', '2026-01-01T10:00:00', '2026-01-01T25:00:00Z', '0000', '2026-1-1', 'T10:00'),
  fc.constantFrom('#', '#nope', 'Patient/', 'urn:uuid:x', 'http://x y', 'Patient/123/_history/', 'a\u2028b'),
  fc.constantFrom({ value: 1 }, { coding: [] }, { coding: [{}] }, { coding: [{ system: 'http://snomed.info/sct', code: 'x' }] }, { reference: '#missing' }, { extension: [] }),
  fc.constantFrom({ resourceType: 'Patient' }, { resourceType: 'Nope' }, { resourceType: 'Resource' }, [{}], [null], [1, 'a']),
  fc.jsonValue({ maxDepth: 2 })
)

/** NHS numbers and ODS codes, valid and broken (check digit, length, case, letters). */
const identifierValue = fc.constantFrom(
  '9434765919', '9434765918', '943476591', '94347659199', '943476591X', '0000000000', '4010232137', '401 023 2137',
  'RR8', 'rr8', 'R', 'RR8RR8R', '123456', 'A1B2C3', 'Y0-1', 42, '')

const keyName = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('_status', '_given', '_id', 'extension', 'modifierExtension', 'valueString', 'valueBoolean', 'id',
    'resourceType', 'contained', 'meta', 'text', '_birthDate', '__proto__', 'constructor', 'fhir_comments')
)

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'delete' }),
  fc.constant<Mutation>({ kind: 'duplicate' }),
  badValue.map((value): Mutation => ({ kind: 'replace', value })),
  fc.constant<Mutation>({ kind: 'wrap' }),
  fc.constant<Mutation>({ kind: 'unwrap' }),
  fc.tuple(keyName, badValue).map(([key, value]): Mutation => ({ kind: 'add-key', key, value })),
  fc.tuple(fc.constantFrom(NHS_NUMBER_SYSTEM, ODS_ORGANIZATION_CODE_SYSTEM), identifierValue)
    .map(([system, value]): Mutation => ({ kind: 'identifier', system, value })),
  fc.constantFrom('#patient', '#fitnote', '#nope', '#', 'Patient/1', 'Organization/RR8', 'urn:uuid:00000000-0000-4000-8000-000000000001', ' Patient/1', '')
    .map((value): Mutation => ({ kind: 'reference', value }))
)

/**
 * Applies a mutation at a path, in place. Nothing happens when an earlier mutation removed the
 * way down, or when the mutation does not fit what is there (an identifier change on a string).
 * @param root - the resource (a copy the caller owns)
 * @param path - where
 * @param m - what
 */
export function applyMutation (root: JsonObject, path: Path, m: Mutation): void {
  const key = path.at(-1)
  let parent: unknown = root
  for (const k of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') {
      return
    }
    parent = (parent as Record<string | number, unknown>)[k]
  }
  if (key === undefined || parent === null || typeof parent !== 'object') {
    return
  }
  const holder = parent as Record<string | number, unknown>
  const current = holder[key]
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(holder) && typeof key === 'number') {
        holder.splice(key, 1)
      } else {
        delete holder[key]
      }
      break
    case 'duplicate':
      if (Array.isArray(holder) && typeof key === 'number') {
        holder.splice(key, 0, structuredClone(current))
      } else {
        holder[key] = Array.isArray(current) ? [...current, ...structuredClone(current)] : [current, structuredClone(current)]
      }
      break
    case 'replace':
      holder[key] = structuredClone(m.value)
      break
    case 'wrap':
      holder[key] = [current]
      break
    case 'unwrap':
      holder[key] = Array.isArray(current) ? current[0] : current
      break
    case 'add-key':
      if (isJsonObject(current)) {
        // defineProperty, so that "__proto__" becomes an own key as JSON.parse would make it.
        Object.defineProperty(current, m.key, { value: structuredClone(m.value), enumerable: true, writable: true, configurable: true })
      }
      break
    case 'identifier':
      if (isJsonObject(current)) {
        current.system = m.system
        current.value = m.value
      }
      break
    case 'reference':
      if (isJsonObject(current)) {
        current.reference = m.value
      }
      break
    case 'resource-type':
      if (isJsonObject(current)) {
        current.resourceType = m.value
      }
      break
  }
}
