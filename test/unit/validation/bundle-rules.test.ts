import { describe, expect, it } from 'vitest'
import { checkBundle } from '../../../src/validation/bundle-rules.ts'
import type { JsonObject } from '../../../src/validation/json.ts'

/** Two versions of one Observation under one fullUrl, and a Composition referring to it. */
function document (references: readonly string[], type = 'document'): JsonObject {
  const observation = (version: string): JsonObject => ({
    fullUrl: 'http://example.net/Observation/obs',
    resource: { resourceType: 'Observation', id: 'obs', meta: { versionId: version }, status: 'final', code: { text: 'x' } }
  })
  return {
    resourceType: 'Bundle',
    type,
    entry: [
      { fullUrl: 'http://example.net/Composition/c', resource: { resourceType: 'Composition', id: 'c', section: [{ entry: references.map((reference) => ({ reference })) }] } },
      observation('1'),
      observation('2')
    ]
  }
}

const codes = (bundle: JsonObject): string[] => checkBundle(bundle, 'Bundle').map((i) => `${i.expression?.[0] ?? ''}: ${i.code}`)

describe('references to versions of one resource in a Bundle (bundle.html §2.36.4.1)', () => {
  it('accepts references naming versions that are there, relative or absolute', () => {
    expect(codes(document(['Observation/obs/_history/1', 'http://example.net/Observation/obs/_history/2']))).toEqual([])
  })

  it('rejects a reference that matches several versions without naming one', () => {
    expect(codes(document(['Observation/obs']))).toEqual(['Bundle.entry[0].resource.section[0].entry[0]: invalid'])
  })

  it('rejects a version that is not in the Bundle', () => {
    expect(codes(document(['Observation/obs/_history/1', 'Observation/obs/_history/3']))).toEqual(['Bundle.entry[0].resource.section[0].entry[1]: not-found'])
  })

  it('leaves history Bundles alone, where every version is listed', () => {
    expect(codes(document(['Observation/obs'], 'history'))).toEqual([])
  })
})
