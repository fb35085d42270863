import fc from 'fast-check'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { beforeAll, describe, expect, it } from 'vitest'
import { createValidator } from '../../../src/validation/create-validator.ts'
import { isJsonObject } from '../../../src/validation/json.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'
import { gpReferral, PROFILES_DIR } from './helpers.ts'

/**
 * Property: whatever a sender posts, validate() never throws and always returns a verdict, as
 * a list of well-formed OperationOutcome issues (validator.ts). The inputs are the NCL GP
 * referral with random mutations at random places: removed, replaced by arbitrary JSON,
 * wrapped in or unwrapped from arrays, unknown keys added, nested resourceTypes changed.
 */

const SEVERITIES = new Set(['fatal', 'error', 'warning', 'information'])
const RUNS = 1000

let validator: ResourceValidator
beforeAll(async () => {
  validator = await createValidator({ profilesDir: PROFILES_DIR })
})

type Path = (string | number)[]

/** Every path to a value in the tree (objects and arrays included), root excluded. */
function pathsOf (value: unknown, prefix: Path = []): Path[] {
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

type Mutation =
  | { kind: 'delete' }
  | { kind: 'replace', value: unknown }
  | { kind: 'wrap' }
  | { kind: 'unwrap' }
  | { kind: 'add-key', key: string, value: unknown }
  | { kind: 'resource-type', value: unknown }

const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('', [], {}, null, 0, -1, 1.5, true, 'x'.repeat(10_000), '#patient', 'urn:uuid:x', '2026-13-45T99:99'),
  fc.constantFrom({ resourceType: 'Patient' }, { resourceType: 'Nope' }, { resourceType: 42 }, [{}], [null])
)

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'delete' }),
  jsonish.map((value): Mutation => ({ kind: 'replace', value })),
  fc.constant<Mutation>({ kind: 'wrap' }),
  fc.constant<Mutation>({ kind: 'unwrap' }),
  fc.tuple(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('_status', '__proto__', 'constructor', 'resourceType', 'extension', '_given')), jsonish)
    .map(([key, value]): Mutation => ({ kind: 'add-key', key, value })),
  fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('ServiceRequest', 'Bundle', 'Basic', 'Resource', 'DomainResource'))
    .map((value): Mutation => ({ kind: 'resource-type', value }))
)

/** Applies a mutation at a path (the referral is a fresh copy, mutated in place). */
function apply (root: Record<string, unknown>, path: Path, m: Mutation): void {
  const parentPath = path.slice(0, -1)
  const key = path.at(-1)
  let parent: unknown = root
  for (const k of parentPath) {
    // An earlier mutation may have removed or replaced the way down: then nothing to do.
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
    case 'replace':
      holder[key] = m.value
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
        Object.defineProperty(current, m.key, { value: m.value, enumerable: true, writable: true, configurable: true })
      }
      break
    case 'resource-type':
      if (isJsonObject(current)) {
        current.resourceType = m.value
      }
      break
  }
}

function isWellFormed (i: OperationOutcomeIssue): boolean {
  return SEVERITIES.has(i.severity) &&
    typeof i.code === 'string' && i.code.length > 0 &&
    typeof i.diagnostics === 'string' && i.diagnostics.length > 0 &&
    (i.expression === undefined || (Array.isArray(i.expression) && i.expression.every((e) => typeof e === 'string' && e.length > 0)))
}

describe('validator properties (fast-check)', () => {
  const base = gpReferral()
  const paths = pathsOf(base)

  it(`never throws and returns well-formed issues for ${RUNS} mutated referrals`, () => {
    const mutations = fc.array(fc.tuple(fc.integer({ min: 0, max: paths.length - 1 }), mutation), { minLength: 1, maxLength: 4 })
    fc.assert(fc.property(mutations, (steps) => {
      const referral = gpReferral()
      for (const [index, m] of steps) {
        apply(referral, paths[index] ?? [], m)
      }
      let issues: unknown
      expect(() => { issues = validator.validate(referral) }).not.toThrow()
      expect(Array.isArray(issues)).toBe(true)
      const list = issues as OperationOutcomeIssue[]
      const bad = list.filter((i) => !isWellFormed(i))
      expect(bad).toEqual([])
      // Stable order: a second run gives the same list.
      expect(validator.validate(referral)).toEqual(list)
    }), { numRuns: RUNS })
  }, 180_000)

  it('returns a verdict for arbitrary JSON at the top level', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
      const issues = validator.validate(value)
      expect(Array.isArray(issues)).toBe(true)
      expect(issues.every(isWellFormed)).toBe(true)
    }), { numRuns: 300 })
  }, 60_000)
})
