import { describe, expect, it } from 'vitest'
import type { ServiceRequest, Task } from '@medplum/fhirtypes'
import { mayReadServiceRequest, mayReadTask, mayReferFor, mayUpdateTask, ownerOf, requesterOdsOfBody, routeAccess, taskSearchScope } from '../../../src/auth/access-policy.ts'
import type { Principal, Role } from '../../../src/auth/principal.ts'

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'

function who (roles: Role[], ods: string[] = [], partnerships: string[] = []): Principal {
  return { clientId: 'c', issuer: 'i', roles: new Set(roles), odsCodes: ods, partnerships }
}

const task = (owner: string, requester?: string): Task => ({
  resourceType: 'Task',
  status: 'requested',
  intent: 'order',
  owner: { reference: `Organization/${owner}`, identifier: { system: ODS, value: 'QWO' } },
  ...(requester === undefined ? {} : { requester: { identifier: { system: ODS, value: requester } } })
})
const sr = (requester: string): ServiceRequest => ({ resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: {}, requester: { identifier: { system: ODS, value: requester } } })

describe('routeAccess', () => {
  it('leaves the capability statement, health and metrics open', () => {
    expect(routeAccess('GET', '/fhir/metadata', '/fhir/metadata')).toStrictEqual({ kind: 'open' })
    expect(routeAccess('GET', '/health/live', '/health/live')).toStrictEqual({ kind: 'open' })
    expect(routeAccess('GET', '/health/ready', '/health/ready')).toStrictEqual({ kind: 'open' })
    expect(routeAccess('GET', '/metrics', '/metrics')).toStrictEqual({ kind: 'open' })
  })

  it('gives each route its roles', () => {
    const roles = (m: string, u: string): readonly string[] => {
      const a = routeAccess(m, u, u)
      return a.kind === 'roles' ? a.roles : ['OPEN']
    }
    expect(roles('POST', '/fhir/ServiceRequest')).toStrictEqual(['referrer'])
    expect(roles('POST', '/fhir')).toStrictEqual(['referrer'])
    expect(roles('POST', '/fhir/ServiceRequest/$triage')).toStrictEqual(['referrer'])
    expect(roles('POST', '/fhir/$process-message')).toStrictEqual(['referrer'])
    expect(roles('GET', '/fhir/Task')).toStrictEqual(['referrer', 'partnership'])
    expect(roles('PUT', '/fhir/Task/:id')).toStrictEqual(['partnership'])
    expect(roles('PATCH', '/fhir/Task/:id')).toStrictEqual(['partnership'])
    expect(roles('GET', '/fhir/ServiceRequest/:id')).toStrictEqual(['referrer', 'partnership'])
    expect(roles('GET', '/admin/deliveries')).toStrictEqual(['operator'])
    expect(roles('POST', '/admin/deliveries/:id/$replay')).toStrictEqual(['operator'])
    expect(roles('GET', '/admin/AuditEvent')).toStrictEqual(['operator'])
    expect(roles('POST', '/fhir/$validate')).toStrictEqual(['referrer', 'partnership', 'operator'])
    expect(roles('POST', '/fhir/Task/$validate')).toStrictEqual(['referrer', 'partnership', 'operator'])
    expect(roles('GET', '/fhir/StructureDefinition/:id')).toStrictEqual(['referrer', 'partnership', 'operator'])
  })

  it('refuses a route it does not list to every role, and asks a token for unknown /fhir paths', () => {
    expect(routeAccess('DELETE', '/fhir/Task/:id', '/fhir/Task/1')).toStrictEqual({ kind: 'roles', roles: [] })
    expect(routeAccess('GET', '/fhir/Secret', '/fhir/Secret')).toStrictEqual({ kind: 'roles', roles: [] })
    expect(routeAccess('GET', undefined, '/fhir/Nothing/1')).toStrictEqual({ kind: 'roles', roles: ['referrer', 'partnership', 'operator'] })
    expect(routeAccess('GET', undefined, '/admin/x')).toStrictEqual({ kind: 'roles', roles: ['operator'] })
    expect(routeAccess('GET', undefined, '/favicon.ico')).toStrictEqual({ kind: 'open' })
  })
})

describe('isolation', () => {
  it('shows a Task to its owning partnership and to the referrer that requested it, and no one else', () => {
    const t = task('leeds', 'A81001')
    expect(ownerOf(t)).toBe('leeds')
    expect(mayReadTask(who(['partnership'], [], ['leeds']), t)).toBe(true)
    expect(mayReadTask(who(['partnership'], [], ['york']), t)).toBe(false)
    expect(mayReadTask(who(['referrer'], ['A81001']), t)).toBe(true)
    expect(mayReadTask(who(['referrer'], ['B82002']), t)).toBe(false)
    // a binding without its role grants nothing
    expect(mayReadTask(who(['operator'], ['A81001'], ['leeds']), t)).toBe(false)
  })

  it('lets only the owning partnership update a Task', () => {
    const t = task('leeds', 'A81001')
    expect(mayUpdateTask(who(['partnership'], [], ['leeds']), t)).toBe(true)
    expect(mayUpdateTask(who(['referrer'], ['A81001']), t)).toBe(false)
    expect(mayUpdateTask(who(['partnership'], [], ['york']), t)).toBe(false)
  })

  it('shows a referral to its referrer and to the partnership owning its Task', () => {
    expect(mayReadServiceRequest(who(['referrer'], ['A81001']), sr('a81001'), [])).toBe(true)
    expect(mayReadServiceRequest(who(['referrer'], ['B82002']), sr('A81001'), ['leeds'])).toBe(false)
    expect(mayReadServiceRequest(who(['partnership'], [], ['leeds']), sr('A81001'), ['leeds'])).toBe(true)
    expect(mayReadServiceRequest(who(['partnership'], [], ['york']), sr('A81001'), ['leeds'])).toBe(false)
  })

  it('lets a referrer refer only for its own ODS codes', () => {
    expect(mayReferFor(who(['referrer'], ['A81001']), 'A81001')).toBe(true)
    expect(mayReferFor(who(['referrer'], ['A81001']), 'B82002')).toBe(false)
    expect(requesterOdsOfBody(sr('b82002'))).toStrictEqual(['B82002'])
    expect(requesterOdsOfBody({ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Patient' } }, { resource: sr('A81001') }, null] })).toStrictEqual(['A81001'])
    expect(requesterOdsOfBody('x')).toStrictEqual([])
    expect(requesterOdsOfBody({ resourceType: 'Bundle', entry: 'nope' })).toStrictEqual([])
  })

  it('narrows Task searches to what the caller may see', () => {
    expect(taskSearchScope(who(['partnership'], [], ['leeds']), undefined)).toStrictEqual({ kind: 'owner', owner: 'leeds' })
    expect(taskSearchScope(who(['partnership'], [], ['leeds']), 'leeds')).toStrictEqual({ kind: 'owner', owner: 'leeds' })
    expect(taskSearchScope(who(['partnership'], [], ['leeds']), 'york')).toStrictEqual({ kind: 'none' })
    expect(taskSearchScope(who(['partnership'], [], ['leeds', 'york']), undefined)).toStrictEqual({ kind: 'filter' })
    expect(taskSearchScope(who(['referrer'], ['A81001']), undefined)).toStrictEqual({ kind: 'filter' })
    expect(taskSearchScope(who(['operator']), undefined)).toStrictEqual({ kind: 'none' })
  })
})
