import { describe, expect, it } from 'vitest'
import { RouteCatalogue } from '../../../src/fhir/route-catalogue.ts'

function catalogue (): RouteCatalogue {
  const c = new RouteCatalogue()
  c.add('GET', '/fhir/Task/:id', { type: 'Task', interaction: 'read' })
  c.add('GET', '/fhir/Task', { type: 'Task', interaction: 'search-type' })
  c.add('POST', '/fhir/ServiceRequest', { type: 'ServiceRequest', interaction: 'create' })
  c.add('GET', '/fhir/ServiceRequest/:id', { type: 'ServiceRequest', interaction: 'read' })
  c.add('POST', '/fhir/ServiceRequest/$triage', { type: 'ServiceRequest', operation: { name: 'triage', definition: 'https://x/triage' } })
  c.add('POST', '/fhir/$validate', { operation: { name: 'validate', definition: 'https://x/validate' } })
  c.add('GET', '/healthz', undefined)
  return c
}

describe('RouteCatalogue', () => {
  it('keeps each route, with its FHIR facts only when it has some', () => {
    const c = catalogue()
    expect(c.entries).toHaveLength(7)
    expect(c.entries[0]).toMatchObject({ method: 'GET', url: '/fhir/Task/:id', fhir: { type: 'Task', interaction: 'read' } })
    expect('fhir' in (c.entries[6] ?? {})).toBe(false)
  })

  it('lists the methods routed for a concrete path, sorted', () => {
    const c = catalogue()
    expect(c.methodsFor('/fhir/ServiceRequest/abc-123')).toStrictEqual(['GET'])
    expect(c.methodsFor('/fhir/ServiceRequest')).toStrictEqual(['POST'])
    expect(c.methodsFor('/fhir/Task')).toStrictEqual(['GET'])
    expect(c.methodsFor('/fhir/Task/')).toStrictEqual(['GET'])
    expect(c.methodsFor('/healthz')).toStrictEqual(['GET'])
    c.add('PUT', '/fhir/Task/:id', undefined)
    c.add('DELETE', '/fhir/Task/:id', undefined)
    expect(c.methodsFor('/fhir/Task/t1')).toStrictEqual(['DELETE', 'GET', 'PUT'])
  })

  it('matches a parameter against one segment only', () => {
    const c = catalogue()
    expect(c.methodsFor('/fhir/Task/t1/_history/1')).toStrictEqual([])
    expect(c.methodsFor('/fhir/Task/t1/extra')).toStrictEqual([])
    expect(c.methodsFor('/fhir/Patient/1')).toStrictEqual([])
  })

  it('matches literal segments literally, $ and all', () => {
    const c = catalogue()
    expect(c.methodsFor('/fhir/$validate')).toStrictEqual(['POST'])
    expect(c.methodsFor('/fhir/Xvalidate')).toStrictEqual([])
    expect(c.methodsFor('/fhir/ServiceRequest/$triage')).toStrictEqual(['GET', 'POST'])
    const dotted = new RouteCatalogue()
    dotted.add('GET', '/files/a.json', undefined)
    expect(dotted.methodsFor('/files/a.json')).toStrictEqual(['GET'])
    expect(dotted.methodsFor('/files/aXjson')).toStrictEqual([])
  })
})
