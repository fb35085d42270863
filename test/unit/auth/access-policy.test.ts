import { describe, expect, it } from 'vitest'
import type { ServiceRequest, Task } from '@medplum/fhirtypes'
import { mayReadTask, mayReferFor, mayUpdateTask, ownerOf, readScope, requesterOdsOfBody, senderKey, unmatchedAccess, updateScope } from '../../../src/auth/access-policy.ts'
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
const sr = (requester?: string): ServiceRequest => ({ resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: {}, ...(requester === undefined ? {} : { requester: { identifier: { system: ODS, value: requester } } }) })

describe('unmatchedAccess', () => {
  it('asks for any token under /fhir and /admin, and none elsewhere', () => {
    expect(unmatchedAccess('/fhir/Nothing/1')).toStrictEqual({ roles: ['referrer', 'partnership', 'operator'] })
    expect(unmatchedAccess('/admin/x')).toStrictEqual({ roles: ['referrer', 'partnership', 'operator'] })
    expect(unmatchedAccess('/favicon.ico')).toBe('public')
  })
})

describe('scopes', () => {
  it('reads by the referrer\'s ODS codes and the partnership\'s ids, each only with its role', () => {
    expect(readScope(who(['referrer'], ['A81001'], ['leeds']))).toStrictEqual({ odsCodes: ['A81001'], partnerships: [] })
    expect(readScope(who(['partnership'], ['A81001'], ['leeds']))).toStrictEqual({ odsCodes: [], partnerships: ['leeds'] })
    expect(readScope(who(['operator'], ['A81001'], ['leeds']))).toStrictEqual({ odsCodes: [], partnerships: [] })
    expect(updateScope(who(['referrer', 'partnership'], ['A81001'], ['leeds']))).toStrictEqual({ odsCodes: [], partnerships: ['leeds'] })
  })

  it('keys a sender\'s idempotency key by the client, so two clients never share one', () => {
    const a = senderKey(who(['referrer'], ['A81001']), 'k')
    const b = senderKey({ ...who(['referrer'], ['A81001']), clientId: 'other' }, 'k')
    expect(a).not.toBe(b)
    expect(a.endsWith(':k')).toBe(true)
    expect(senderKey(who(['referrer'], ['A81001']), 'k')).toBe(a)
  })
})

describe('predicates', () => {
  it('shows a Task to its owning partnership and its requesting practice', () => {
    const t = task('leeds', 'A81001')
    expect(ownerOf(t)).toBe('leeds')
    expect(mayReadTask(who(['partnership'], [], ['leeds']), t)).toBe(true)
    expect(mayReadTask(who(['partnership'], [], ['york']), t)).toBe(false)
    expect(mayReadTask(who(['referrer'], ['A81001']), t)).toBe(true)
    expect(mayReadTask(who(['referrer'], ['B82002']), t)).toBe(false)
    // bindings without the role grant nothing
    expect(mayReadTask(who(['operator'], ['A81001'], ['leeds']), t)).toBe(false)
  })

  it('lets only the owning partnership change a Task', () => {
    const t = task('leeds', 'A81001')
    expect(mayUpdateTask(who(['partnership'], [], ['leeds']), t)).toBe(true)
    expect(mayUpdateTask(who(['referrer'], ['A81001']), t)).toBe(false)
    expect(mayUpdateTask(who(['partnership'], [], ['york']), t)).toBe(false)
  })

  it('lets a referrer refer for its own ODS codes only, never for none', () => {
    expect(mayReferFor(who(['referrer'], ['A81001']), 'A81001')).toBe(true)
    expect(mayReferFor(who(['referrer'], ['A81001']), 'B82002')).toBe(false)
    expect(mayReferFor(who(['referrer'], ['A81001']), undefined)).toBe(false)
    expect(mayReferFor(who(['partnership'], ['A81001'], ['leeds']), 'A81001')).toBe(false)
  })

  it('finds the requester ODS code of every ServiceRequest in a body, null where none is named', () => {
    expect(requesterOdsOfBody(sr('b82002'))).toStrictEqual(['B82002'])
    expect(requesterOdsOfBody(sr())).toStrictEqual([null])
    expect(requesterOdsOfBody({ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Patient' } }, { resource: sr('A81001') }, null] })).toStrictEqual(['A81001'])
    expect(requesterOdsOfBody('x')).toStrictEqual([])
    expect(requesterOdsOfBody({ resourceType: 'Bundle', entry: 'nope' })).toStrictEqual([])
  })
})
