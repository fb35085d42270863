import { describe, expect, it } from 'vitest'
import { rewriteReferences } from '../../../src/fhir/references.ts'

describe('rewriteReferences', () => {
  const resource = {
    resourceType: 'ServiceRequest',
    subject: { reference: 'urn:uuid:p' },
    supportingInfo: [{ reference: 'urn:uuid:o' }, { reference: '#contained', display: 'kept' }],
    requester: { identifier: { value: 'F83674' } },
    contained: [{ resourceType: 'Observation', subject: { reference: 'urn:uuid:p' } }],
    note: [{ text: 'reference' }],
    extension: [{ url: 'x', valueReference: { reference: 'urn:uuid:o' } }],
    code: { reference: 42 }
  }

  it('visits every reference string with its path and replaces it', () => {
    const seen: Array<[string, string]> = []
    const out = rewriteReferences(resource, (ref, path) => {
      seen.push([ref, path])
      return ref.startsWith('urn:uuid:') ? `Thing/${ref.slice(9)}` : undefined
    })
    expect(seen).toStrictEqual([
      ['urn:uuid:p', '.subject.reference'],
      ['urn:uuid:o', '.supportingInfo[0].reference'],
      ['#contained', '.supportingInfo[1].reference'],
      ['urn:uuid:p', '.contained[0].subject.reference'],
      ['urn:uuid:o', '.extension[0].valueReference.reference']
    ])
    expect(out).toStrictEqual({
      ...resource,
      subject: { reference: 'Thing/p' },
      supportingInfo: [{ reference: 'Thing/o' }, { reference: '#contained', display: 'kept' }],
      contained: [{ resourceType: 'Observation', subject: { reference: 'Thing/p' } }],
      extension: [{ url: 'x', valueReference: { reference: 'Thing/o' } }]
    })
  })

  it('leaves the input untouched and starts paths from the given prefix', () => {
    const before = structuredClone(resource)
    const paths: string[] = []
    rewriteReferences(resource, (_ref, path) => { paths.push(path); return 'X/1' }, 'Bundle.entry[2].resource')
    expect(resource).toStrictEqual(before)
    expect(paths[0]).toBe('Bundle.entry[2].resource.subject.reference')
  })

  it('passes scalars, null and arrays of scalars through', () => {
    const never = (): string => { throw new Error('no reference here') }
    expect(rewriteReferences(null, never)).toBeNull()
    expect(rewriteReferences('urn:uuid:p', never)).toBe('urn:uuid:p')
    expect(rewriteReferences([1, 'a', true], never)).toStrictEqual([1, 'a', true])
  })
})
