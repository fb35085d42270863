import { describe, expect, it } from 'vitest'
import { auditAgent, principalFromClaims, type Principal } from '../../../src/auth/principal.ts'

function principal (claims: Record<string, unknown>): Principal {
  const r = principalFromClaims(claims)
  if (!r.ok) throw new Error(r.reason)
  return r.principal
}

describe('principalFromClaims', () => {
  it('reads roles from scope and from a roles claim, several at once', () => {
    const p = principal({ sub: 'gp-system-1', scope: 'openid workwell/referrer workwell/operator', roles: ['partnership'], ods: 'a81001', partnership: ['leeds'] })
    expect([...p.roles].sort()).toStrictEqual(['operator', 'partnership', 'referrer'])
    expect(p.odsCodes).toStrictEqual(['A81001'])
    expect(p.partnerships).toStrictEqual(['leeds'])
    expect(p.clientId).toBe('gp-system-1')
  })

  it('prefers client_id, then azp, then sub for the client id', () => {
    expect(principal({ client_id: 'c', azp: 'a', sub: 's' }).clientId).toBe('c')
    expect(principal({ azp: 'a', sub: 's' }).clientId).toBe('a')
  })

  it('grants referrer only with an ODS code and partnership only with a partnership id', () => {
    expect([...principal({ sub: 'x', scope: 'workwell/referrer workwell/partnership' }).roles]).toStrictEqual([])
    expect([...principal({ sub: 'x', scope: 'workwell/referrer', ods: [] }).roles]).toStrictEqual([])
  })

  it('ignores unknown scopes and roles', () => {
    expect([...principal({ sub: 'x', scope: 'workwell/admin system/*.*', roles: ['root'] }).roles]).toStrictEqual([])
  })

  it('refuses malformed bindings rather than guessing', () => {
    expect(principalFromClaims({ sub: 'x', scope: 'workwell/referrer', ods: ['A81001', '<script>'] }).ok).toBe(false)
    expect(principalFromClaims({ sub: 'x', scope: 'workwell/partnership', partnership: 'Leeds City' }).ok).toBe(false)
    expect(principalFromClaims({ sub: 'a person\'s name' }).ok).toBe(false)
    expect(principalFromClaims({}).ok).toBe(false)
  })
})

describe('auditAgent', () => {
  it('names the client and the organisations it acted for, nothing else', () => {
    const p = principal({ sub: 'gp-1', scope: 'workwell/referrer workwell/partnership', ods: ['A81001', 'B82002'], partnership: 'leeds' })
    expect(auditAgent(p)).toBe('client/gp-1 ods/A81001,B82002 partnership/leeds')
    expect(auditAgent(principal({ sub: 'ops', scope: 'workwell/operator' }))).toBe('client/ops operator')
  })
})
