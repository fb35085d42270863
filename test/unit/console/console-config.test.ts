import { describe, expect, it } from 'vitest'
import { loadConsoleConfig } from '../../../src/console/console-config.ts'

const OIDC = {
  WORKWELL_CONSOLE_OIDC_ISSUER: 'https://idp.example/realm',
  WORKWELL_CONSOLE_OIDC_CLIENT_ID: 'console',
  WORKWELL_CONSOLE_OIDC_CLIENT_SECRET: 'secret',
  WORKWELL_CONSOLE_OIDC_REDIRECT_URI: 'https://gw.example/console/oidc/callback'
}

describe('loadConsoleConfig', () => {
  it('defaults to 15 minutes idle, 12 hours at most, no OIDC', () => {
    expect(loadConsoleConfig({}, false)).toEqual({ idleMinutes: 15, maxHours: 12 })
  })

  it('reads the OIDC client and the claim names', () => {
    const c = loadConsoleConfig({ ...OIDC, WORKWELL_CONSOLE_OIDC_CLAIMS: 'roles=workwell_roles, ods=org_codes' }, true)
    expect(c.oidc).toMatchObject({ issuer: OIDC.WORKWELL_CONSOLE_OIDC_ISSUER, clientId: 'console', scope: 'openid profile', allowHttp: false, claims: { roles: 'workwell_roles', ods: 'org_codes', partnership: 'partnership', name: 'name' } })
  })

  it('refuses an incomplete client, unknown claim keys, and http in production', () => {
    expect(() => loadConsoleConfig({ ...OIDC, WORKWELL_CONSOLE_OIDC_CLIENT_SECRET: '' }, false)).toThrow(/WORKWELL_CONSOLE_OIDC_CLIENT_SECRET/)
    expect(() => loadConsoleConfig({ ...OIDC, WORKWELL_CONSOLE_OIDC_CLAIMS: 'colour=blue' }, false)).toThrow(/WORKWELL_CONSOLE_OIDC_CLAIMS/)
    expect(() => loadConsoleConfig({ ...OIDC, WORKWELL_CONSOLE_OIDC_ISSUER: 'http://idp.example' }, true)).toThrow(/https in production/)
    expect(loadConsoleConfig({ ...OIDC, WORKWELL_CONSOLE_OIDC_ISSUER: 'http://127.0.0.1:9000' }, false).oidc?.allowHttp).toBe(true)
    expect(() => loadConsoleConfig({ WORKWELL_CONSOLE_IDLE_MIN: '0' }, false)).toThrow(/WORKWELL_CONSOLE_IDLE_MIN/)
  })
})
