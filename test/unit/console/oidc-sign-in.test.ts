import { describe, expect, it } from 'vitest'
import { userFromClaims } from '../../../src/console/oidc-sign-in.ts'

const NAMES = { roles: 'roles', partnership: 'partnership', ods: 'ods', name: 'name' }
const KNOWN = new Set(['frimley', 'north-central-london'])

describe('userFromClaims', () => {
  it('binds each role as a bearer token would: partnership staff to known partnerships, referrers to ODS codes', () => {
    const user = userFromClaims({ sub: 'u1', name: 'Sam Jones', roles: ['partnership', 'referrer'], partnership: ['frimley', 'nowhere'], ods: 'a81001' }, NAMES, 'https://idp', KNOWN)
    expect(user?.name).toBe('Sam Jones')
    expect([...(user?.principal.roles ?? [])].sort()).toEqual(['partnership', 'referrer'])
    expect(user?.principal).toMatchObject({ clientId: 'oidc/u1', partnerships: ['frimley'], odsCodes: ['A81001'], issuer: 'https://idp' })
  })

  it('grants nothing without a role, or a role without its binding', () => {
    expect(userFromClaims({ sub: 'u1' }, NAMES, 'i', KNOWN)).toBeUndefined()
    expect(userFromClaims({ sub: 'u1', roles: 'partnership', partnership: 'nowhere' }, NAMES, 'i', KNOWN)).toBeUndefined()
    expect(userFromClaims({ sub: 'u1', roles: 'referrer' }, NAMES, 'i', KNOWN)).toBeUndefined()
    expect(userFromClaims({ sub: 'bad sub!', roles: 'operator' }, NAMES, 'i', KNOWN)).toBeUndefined()
  })

  it('reads configured claim names and falls back to the subject for the name', () => {
    const user = userFromClaims({ sub: 'op-7', workwell_roles: 'operator' }, { ...NAMES, roles: 'workwell_roles' }, 'i', KNOWN)
    expect(user).toMatchObject({ name: 'op-7', via: 'oidc' })
    expect(user?.principal.roles.has('operator')).toBe(true)
  })
})
