import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadSecurityConfig, parseIssuers } from '../../../src/auth/auth-config.ts'
import { assertHttpsEndpoints } from '../../../src/auth/transport-policy.ts'
import { ConfigError, loadConfig } from '../../../src/config.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'

const CWD = path.resolve('/srv/workwell')

describe('parseIssuers', () => {
  it('reads ISSUER=JWKS pairs: URLs stay URLs, paths are resolved against the working folder', () => {
    expect(parseIssuers(' https://idp.example/ = https://idp.example/jwks.json , urn:test=keys/test.json ', CWD, false)).toStrictEqual([
      { issuer: 'https://idp.example/', jwks: { kind: 'url', url: 'https://idp.example/jwks.json' } },
      { issuer: 'urn:test', jwks: { kind: 'file', path: path.join(CWD, 'keys/test.json') } }
    ])
    expect(parseIssuers('', CWD, true)).toStrictEqual([])
  })

  it('keeps an "=" inside the issuer', () => {
    expect(parseIssuers('https://idp.example/?tenant=a=/k.json', CWD, false)[0]?.issuer).toBe('https://idp.example/?tenant=a')
  })

  it('refuses a pair without a JWKS, a repeated issuer, and a plain-http JWKS URL in production', () => {
    expect(() => parseIssuers('https://idp.example/', CWD, false)).toThrow(ConfigError)
    expect(() => parseIssuers('a=x.json,a=y.json', CWD, false)).toThrow(/twice/)
    expect(() => parseIssuers('a=http://idp.example/jwks', CWD, true)).toThrow(/https in production/)
    expect(parseIssuers('a=http://127.0.0.1:9000/jwks', CWD, false)[0]?.jwks.kind).toBe('url')
  })
})

describe('loadSecurityConfig', () => {
  it('defaults the audience to the FHIR base URL and reads production from NODE_ENV', () => {
    const c = loadSecurityConfig({ NODE_ENV: 'production' }, CWD, 'https://gw.example/fhir')
    expect(c.production).toBe(true)
    expect(c.audience).toBe('https://gw.example/fhir')
    expect(loadSecurityConfig({ NODE_ENV: 'test', WORKWELL_AUTH_AUDIENCE: 'api://workwell' }, CWD, 'x')).toMatchObject({ production: false, audience: 'api://workwell' })
  })

  it('checks its numbers, naming the variable', () => {
    for (const [name, value] of [['WORKWELL_AUTH_CLOCK_SKEW_S', '301'], ['WORKWELL_RATE_LIMIT', '-1'], ['WORKWELL_RATE_LIMIT_WINDOW_MS', '5'], ['WORKWELL_REQUEST_TIMEOUT_MS', 'soon']] as const) {
      try {
        loadSecurityConfig({ [name]: value }, CWD, 'x')
        throw new Error(`${name}=${value} was accepted`)
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError)
        expect((err as ConfigError).variable).toBe(name)
      }
    }
    expect(loadSecurityConfig({ WORKWELL_RATE_LIMIT: '0', WORKWELL_MAX_EVENT_LOOP_DELAY_MS: '0' }, CWD, 'x')).toMatchObject({ rateLimitMax: 0, maxEventLoopDelayMs: 0 })
  })

  it('is part of loadConfig', () => {
    expect(loadConfig({ WORKWELL_AUTH_ISSUERS: 'urn:a=a.json' }, CWD).security.issuers).toStrictEqual([{ issuer: 'urn:a', jwks: { kind: 'file', path: path.join(CWD, 'a.json') } }])
  })
})

describe('assertHttpsEndpoints', () => {
  const p = (id: string, endpoint: string): Partnership => ({ id, delivery: { endpoint } } as unknown as Partnership)

  it('refuses a plain-http partnership endpoint in production only, naming its override variable', () => {
    const list = [p('leeds', 'https://leeds.example/referrals'), p('black-country', 'http://127.0.0.1:9090/x'), p('york', 'file:///srv/drop')]
    expect(() => { assertHttpsEndpoints(list, false) }).not.toThrow()
    try {
      assertHttpsEndpoints(list, true)
      throw new Error('accepted')
    } catch (err) {
      expect((err as ConfigError).variable).toBe('WORKWELL_PARTNER_URL_BLACK_COUNTRY')
    }
    expect(() => { assertHttpsEndpoints([list[0] as Partnership, list[2] as Partnership], true) }).not.toThrow()
  })
})
