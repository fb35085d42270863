import fc from 'fast-check'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { beforeAll, describe, expect, it } from 'vitest'
import { createValidator } from '../../../src/validation/create-validator.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'
import { gpReferral, PROFILES_DIR } from './helpers.ts'
import type { Mutation } from './mutations.ts'
import { applyMutation, pathsOf } from './mutations.ts'

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
        applyMutation(referral, paths[index] ?? [], m)
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
