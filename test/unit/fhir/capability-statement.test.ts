import type { CapabilityStatementRestResource } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { buildCapabilityStatement } from '../../../src/fhir/capability-statement.ts'
import { RouteCatalogue } from '../../../src/fhir/route-catalogue.ts'

const REFERRAL = 'https://fhir.workwell.example/StructureDefinition/WorkWell-Referral'
const VALIDATE = 'http://hl7.org/fhir/OperationDefinition/Resource-validate'

function catalogue (): RouteCatalogue {
  const c = new RouteCatalogue()
  c.add('GET', '/healthz', undefined)
  c.add('POST', '/fhir', { interaction: 'transaction' })
  c.add('POST', '/fhir/$validate', { operation: { name: 'validate', definition: VALIDATE } })
  c.add('POST', '/fhir/ServiceRequest', { type: 'ServiceRequest', interaction: 'create', profiles: [REFERRAL] })
  c.add('GET', '/fhir/ServiceRequest/:id', { type: 'ServiceRequest', interaction: 'read' })
  c.add('POST', '/fhir/ServiceRequest/$triage', { type: 'ServiceRequest', operation: { name: 'triage', definition: 'https://fhir.workwell.example/OperationDefinition/ServiceRequest-triage' } })
  c.add('POST', '/fhir/ServiceRequest/$validate', { type: 'ServiceRequest', operation: { name: 'validate', definition: VALIDATE } })
  c.add('GET', '/fhir/Task', {
    type: 'Task',
    interaction: 'search-type',
    searchParams: [
      { name: 'owner', type: 'reference', documentation: 'partnership' },
      { name: 'status', type: 'token', documentation: 'task status' }
    ]
  })
  c.add('POST', '/fhir/Task/_search', {
    type: 'Task',
    interaction: 'search-type',
    searchParams: [{ name: 'status', type: 'token', documentation: 'task status again' }, { name: '_lastUpdated', type: 'date', documentation: 'changed' }]
  })
  c.add('GET', '/fhir/Task/:id', { type: 'Task', interaction: 'read' })
  c.add('GET', '/fhir/Organization/:id', { type: 'Organization', interaction: 'read' })
  return c
}

describe('buildCapabilityStatement', () => {
  const cs = buildCapabilityStatement({ entries: catalogue().entries, baseUrl: 'https://workwell.example/fhir', version: '1.2.3', date: '2026-11-20T10:00:00.000Z' })
  const rest = cs.rest?.[0]
  const resource = (type: string): CapabilityStatementRestResource | undefined => rest?.resource?.find((r) => r.type === type)

  it('describes this server as an R4 JSON instance', () => {
    expect(cs).toMatchObject({
      resourceType: 'CapabilityStatement',
      status: 'active',
      date: '2026-11-20T10:00:00.000Z',
      kind: 'instance',
      fhirVersion: '4.0.1',
      format: ['application/fhir+json', 'json'],
      software: { name: 'WorkWell Gateway', version: '1.2.3' },
      implementation: { url: 'https://workwell.example/fhir' }
    })
    expect(cs.rest).toHaveLength(1)
    expect(rest?.mode).toBe('server')
  })

  it('lists one resource per routed type, sorted by type', () => {
    expect(rest?.resource?.map((r) => r.type)).toStrictEqual(['Organization', 'ServiceRequest', 'Task'])
  })

  it('lists each type\'s interactions once, and versioned read', () => {
    expect(resource('ServiceRequest')?.interaction).toStrictEqual([{ code: 'create' }, { code: 'read' }])
    expect(resource('Task')?.interaction).toStrictEqual([{ code: 'search-type' }, { code: 'read' }])
    expect(resource('Organization')).toStrictEqual({ type: 'Organization', interaction: [{ code: 'read' }], versioning: 'versioned', readHistory: false })
    expect(resource('Task')).toMatchObject({ versioning: 'versioned', readHistory: false })
  })

  it('lists type operations, search parameters (once each) and supported profiles', () => {
    expect(resource('ServiceRequest')?.operation).toStrictEqual([
      { name: 'triage', definition: 'https://fhir.workwell.example/OperationDefinition/ServiceRequest-triage' },
      { name: 'validate', definition: VALIDATE }
    ])
    expect(resource('ServiceRequest')?.supportedProfile).toStrictEqual([REFERRAL])
    expect(resource('Task')?.searchParam).toStrictEqual([
      { name: 'owner', type: 'reference', documentation: 'partnership' },
      { name: 'status', type: 'token', documentation: 'task status' },
      { name: '_lastUpdated', type: 'date', documentation: 'changed' }
    ])
    expect(resource('Task')?.operation).toBeUndefined()
    expect(resource('Task')?.supportedProfile).toBeUndefined()
  })

  it('lists system-level interactions and operations, and nothing for routes without FHIR facts', () => {
    expect(rest?.interaction).toStrictEqual([{ code: 'transaction' }])
    expect(rest?.operation).toStrictEqual([{ name: 'validate', definition: VALIDATE }])
    expect(JSON.stringify(cs)).not.toContain('healthz')
  })

  it('lists nothing that is not routed', () => {
    const empty = buildCapabilityStatement({ entries: [], baseUrl: 'http://127.0.0.1:8080/fhir', version: '0.0.0', date: '2026-01-01' })
    expect(empty.rest).toStrictEqual([{
      mode: 'server',
      documentation: empty.rest?.[0]?.documentation,
      security: empty.rest?.[0]?.security,
      resource: [],
      interaction: [],
      operation: []
    }])
  })
})

describe('buildCapabilityStatement with the validator\'s profiles', () => {
  it('lists each profile on its resource type, once, and none on types without routes', () => {
    const task = 'https://fhir.workwell.example/StructureDefinition/WorkWell-TriageTask'
    const consent = 'https://fhir.workwell.example/StructureDefinition/WorkWell-ReferralConsent'
    const cs = buildCapabilityStatement({
      entries: catalogue().entries,
      baseUrl: 'https://workwell.example/fhir',
      version: '1.2.3',
      date: '2026-11-20T10:00:00.000Z',
      profiles: [{ url: REFERRAL, type: 'ServiceRequest' }, { url: task, type: 'Task' }, { url: consent, type: 'Consent' }]
    })
    const byType = new Map((cs.rest?.[0]?.resource ?? []).map((r) => [r.type, r]))
    expect(byType.get('ServiceRequest')?.supportedProfile).toStrictEqual([REFERRAL])
    expect(byType.get('Task')?.supportedProfile).toStrictEqual([task])
    expect(byType.has('Consent')).toBe(false)
  })
})
