import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ValidatorParts } from '../../../src/validation/create-validator.ts'
import { createValidatorParts } from '../../../src/validation/create-validator.ts'
import type { JsonObject } from '../../../src/validation/json.ts'
import { resourceFixtures } from './fixture-corpus.ts'
import type { Mutation } from './mutations.ts'
import { applyMutation, mutationArbitrary, pathsOf } from './mutations.ts'
import { PROFILES_DIR } from './helpers.ts'

/**
 * Property: the fast walks and the reporting walks agree (docs/decisions/compiled-validator.md).
 * The fast walk of base R4 answers a result exactly when the reporting walk finds no issue at
 * all, and each compiled profile's probe holds exactly when its reporting pass finds nothing.
 * Checked on every resource fixture and on random mutations of them (deleted, duplicated and
 * retyped elements, bad codes, wrong cardinality, bad references, extra properties, broken NHS
 * numbers and ODS codes…), against base R4 (no profile claimed) and against each WorkWell
 * profile of the resource's type. A fast walk that says "invalid" where the reporting walk has
 * only warnings would be a disagreement too: the fast walk promises "nothing to report".
 */

// WALKS_AGREE_RUNS: a longer hunt on demand (tests only, not a gateway setting).
const RUNS = Number(process.env.WALKS_AGREE_RUNS ?? 1500)

let parts: ValidatorParts
beforeAll(async () => {
  parts = await createValidatorParts({ profilesDir: PROFILES_DIR })
})

const fixtures = resourceFixtures()

/** What each walk said about one resource, when they disagree. */
interface Disagreement {
  readonly walk: string
  readonly fast: boolean
  readonly report: readonly string[]
}

/** Compares the walks on one resource (and its nested resources for the profiles): the disagreements. */
function disagreements (resource: JsonObject): Disagreement[] {
  const out: Disagreement[] = []
  const type = typeof resource.resourceType === 'string' ? resource.resourceType : 'Resource'
  const fast = parts.structure.fast(resource, type)
  const report = parts.structure.report(resource, type)
  if ((fast !== undefined) !== (report.issues.length === 0)) {
    out.push({ walk: 'base R4', fast: fast !== undefined, report: report.issues.map((i) => `${i.severity} ${i.diagnostics ?? ''}`) })
  } else if (fast !== undefined) {
    // the same nested resources, for the profiles they claim
    const paths = (r: typeof report): string[] => r.nested.map((n) => n.path)
    if (paths(fast).join() !== paths(report).join()) {
      out.push({ walk: 'base R4 nested', fast: true, report: paths(report) })
    }
  }
  const targets = [{ resource, path: type, type, container: resource }, ...report.nested]
  for (const target of targets) {
    for (const [url, passes] of parts.profiles) {
      if (!url.includes('/WorkWell-') || !profileTypeMatches(url, target.type)) {
        continue
      }
      const holds = passes.holds(target.resource, target.path, target.container)
      const issues = passes.report(target.resource, target.path, target.container)
      if (holds !== (issues.length === 0)) {
        out.push({ walk: `${url} at ${target.path}`, fast: holds, report: issues.map((i) => `${i.severity} ${i.diagnostics ?? ''}`) })
      }
    }
  }
  return out
}

/** WorkWell profile names → the resource type they constrain. */
const PROFILE_TYPES: Readonly<Record<string, string>> = {
  'WorkWell-Referral': 'ServiceRequest',
  'WorkWell-FitNoteTriageRequest': 'ServiceRequest',
  'WorkWell-Patient': 'Patient',
  'WorkWell-FitNote': 'Observation',
  'WorkWell-EmploymentStatus': 'Observation',
  'WorkWell-ReferralConsent': 'Consent',
  'WorkWell-TriageTask': 'Task'
}

function profileTypeMatches (url: string, type: string): boolean {
  return PROFILE_TYPES[url.slice(url.lastIndexOf('/') + 1)] === type
}

/** A fixture with a list of mutations applied (a fresh copy). */
function mutated (fixture: number, steps: readonly (readonly [number, Mutation])[]): JsonObject {
  const entry = fixtures[fixture]
  if (!entry) {
    throw new Error(`No fixture ${fixture}`)
  }
  const resource = structuredClone(entry.resource)
  const paths = pathsOf(resource)
  for (const [index, m] of steps) {
    const path = paths[index % Math.max(paths.length, 1)]
    if (path !== undefined) {
      applyMutation(resource, path, m)
    }
  }
  return resource
}

describe('the fast and the reporting walks agree (fast-check)', () => {
  it('has fixtures to work on, valid and invalid', () => {
    expect(fixtures.length).toBeGreaterThan(60)
    expect(fixtures.filter((f) => f.file.startsWith('fixtures/invalid/')).length).toBeGreaterThan(3)
  })

  it('on every fixture as committed, with and without its claimed profiles', () => {
    for (const { file, resource } of fixtures) {
      expect(disagreements(resource), file).toEqual([])
      const { meta: _meta, ...unprofiled } = resource
      expect(disagreements(unprofiled), `${file} without meta`).toEqual([])
    }
  })

  it(`on ${RUNS} random mutations of the fixtures`, () => {
    const steps = fc.array(fc.tuple(fc.nat(), mutationArbitrary), { minLength: 1, maxLength: 3 })
    fc.assert(fc.property(fc.nat({ max: fixtures.length - 1 }), steps, (fixture, list) => {
      expect(disagreements(mutated(fixture, list))).toEqual([])
    }), { numRuns: RUNS })
  }, 240_000)

  it('on resources with nothing in common with a fixture (arbitrary JSON under a resourceType)', () => {
    const types = fc.constantFrom('ServiceRequest', 'Patient', 'Observation', 'Consent', 'Task', 'Bundle')
    fc.assert(fc.property(types, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), (type, body) => {
      const resource: JsonObject = { ...body, resourceType: type }
      expect(disagreements(resource)).toEqual([])
    }), { numRuns: 300 })
  }, 60_000)
})
