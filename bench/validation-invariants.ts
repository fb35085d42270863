/**
 * Invariant benchmark: the FHIRPath invariants the validator evaluates on the benchmark inputs
 * (every base R4 and WorkWell invariant on every node it applies to, invariant-sites.ts), by
 * our compiled checks (fhirpath-lite.ts and invariants.ts) and by @medplum/core's FHIRPath
 * engine with each expression parsed once. Prints site evaluations per second of CPU time and
 * the ratio. dom-3, txt-1 and txt-2 are left out on both sides: the validator does not
 * evaluate them (invariants.ts), so timing them would flatter ours.
 */
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { evalFhirPathTyped, parseFhirPath, toTypedValue } from '@medplum/core'
import type { TypedValue } from '@medplum/core'
import { R4_SCHEMA_FILE } from '../src/validation/build-r4-schema.ts'
import { baseInvariantKeys, invariantSites, profileInvariants } from '../src/validation/invariant-sites.ts'
import type { InvariantSite } from '../src/validation/invariant-sites.ts'
import { createInvariantCompiler } from '../src/validation/invariants.ts'
import type { JsonObject } from '../src/validation/json.ts'
import { loadProfiles } from '../src/validation/load-profiles.ts'
import type { R4Schema } from '../src/validation/r4-schema.ts'

const REPO = resolve(import.meta.dirname, '..')
const NOT_EVALUATED = new Set(['dom-3', 'txt-1', 'txt-2'])

/** One evaluation pass over every site, both ways; medplum's base R4 index must be loaded already. */
export interface InvariantWorkload {
  readonly sites: number
  readonly ours: () => number
  readonly medplum: () => number
}

/**
 * Prepares the invariant workload over some resources.
 * @param inputs - the benchmark resources
 * @returns the number of sites and one pass over them by each engine (each returns how many were met)
 */
export async function invariantWorkload (inputs: readonly JsonObject[]): Promise<InvariantWorkload> {
  const schema = JSON.parse(await readFile(R4_SCHEMA_FILE, 'utf8')) as R4Schema
  const baseKeys = baseInvariantKeys(Object.values(schema.types))
  const workwell = (await loadProfiles(join(REPO, 'profiles'))).flatMap((p) => profileInvariants(p.definition, baseKeys))
  const isResourceType = (name: string): boolean => schema.types[name]?.kind === 'resource' && schema.types[name].abstract !== true
  const compiler = createInvariantCompiler(isResourceType)
  const sites: InvariantSite[] = inputs.flatMap((r) => invariantSites(schema, r, workwell)).filter((s) => !NOT_EVALUATED.has(s.key))
  const ourChecks = sites.map((s) => compiler.compile(s.key, s.expression))
  const parsed = new Map<string, ReturnType<typeof parseFhirPath>>()
  const theirs = sites.map((s) => {
    let atom = parsed.get(s.expression)
    if (!atom) {
      atom = parseFhirPath(s.expression)
      parsed.set(s.expression, atom)
    }
    const input: TypedValue = { type: s.type.split('.').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join(''), value: s.node }
    return { atom, input, resource: s.scope.resource, rootResource: s.scope.rootResource }
  })
  return {
    sites: sites.length,
    ours: () => {
      let met = 0
      for (let i = 0; i < sites.length; i++) {
        const s = sites[i] as InvariantSite
        if ((ourChecks[i] as (typeof ourChecks)[number])(s.node, s.scope) === true) {
          met++
        }
      }
      return met
    },
    medplum: () => {
      let met = 0
      for (const t of theirs) {
        // the variables medplum's own validator passes (%resource, %rootResource, %context)
        const variables: Record<string, TypedValue> = {
          '%resource': toTypedValue(t.resource),
          '%rootResource': toTypedValue(t.rootResource),
          '%context': t.input,
          '%ucum': { type: 'string', value: 'http://unitsofmeasure.org' }
        }
        const result = evalFhirPathTyped(t.atom, [t.input], variables)
        if (!(result.length === 1 && result[0]?.value === false)) {
          met++
        }
      }
      return met
    }
  }
}
