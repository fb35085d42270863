import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { DEV_ISSUER, devKeyFiles, effectiveIssuers, ensureDevSigningKey } from '../../../src/auth/dev-keys.ts'
import { devTokens, runTokenCommand } from '../../../src/auth/token-command.ts'
import { createTokenVerifier, loadTrustedIssuers } from '../../../src/auth/verify-token.ts'
import { ConfigError, loadConfig, type Config } from '../../../src/config.ts'

let dir: string
beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'workwell-token-')) })
afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

const NOW = new Date('2026-06-01T12:00:00Z')
const config = (env: Record<string, string> = {}): Config => loadConfig({ WORKWELL_DATA_DIR: dir, WORKWELL_BASE_URL: 'https://gw.test/fhir', WORKWELL_DUPLICATE_KEY: 'k'.repeat(32), ...env }, '/')
const defaults = async (): Promise<{ ods: string[], partnership: string }> => ({ ods: ['A81001', 'B82002'], partnership: 'leeds' })

async function run (args: string[], c: Config = config()): Promise<{ code: number, out: string[], err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runTokenCommand(args, { config: c, out: (l) => out.push(l), err: (l) => err.push(l), clock: { now: () => NOW }, defaults })
  return { code, out, err }
}

describe('development key', () => {
  it('is created once in the data folder, private key readable by its owner only, and reused', async () => {
    const first = await ensureDevSigningKey(dir)
    const files = devKeyFiles(dir)
    expect(statSync(files.privateKey).mode & 0o077).toBe(0)
    expect(JSON.parse(readFileSync(files.jwks, 'utf8')).keys[0]).not.toHaveProperty('d')
    expect((await ensureDevSigningKey(dir)).kid).toBe(first.kid)
  })

  it('is the trusted issuer only outside production and without configured issuers', async () => {
    const dev = await effectiveIssuers(config())
    expect(dev.issuers.map((i) => i.issuer)).toStrictEqual([DEV_ISSUER])
    const configured = await effectiveIssuers(config({ WORKWELL_AUTH_ISSUERS: 'urn:idp=/keys.json' }))
    expect(configured.issuers.map((i) => i.issuer)).toStrictEqual(['urn:idp'])
    expect(configured.devKey).toBeUndefined()
    await expect(effectiveIssuers(config({ NODE_ENV: 'production' }))).rejects.toThrow(ConfigError)
  })
})

describe('workwell token', () => {
  it('mints a token the gateway accepts, with the roles and bindings asked for', async () => {
    const { code, out } = await run(['--role', 'referrer', '--role', 'partnership', '--ods', 'B82002', '--partnership', 'york', '--client', 'my-gp'])
    expect(code).toBe(0)
    const token = out[0] ?? ''
    expect(decodeJwt(token)).toMatchObject({ iss: DEV_ISSUER, aud: 'https://gw.test/fhir', sub: 'my-gp', ods: ['B82002'], partnership: ['york'], scope: 'workwell/referrer workwell/partnership' })
    const { issuers } = await effectiveIssuers(config())
    const verify = createTokenVerifier(await loadTrustedIssuers(issuers), { audience: 'https://gw.test/fhir', clockSkewSeconds: 0, now: () => NOW })
    const v = await verify(token)
    expect(v.ok && [...v.principal.roles].sort()).toStrictEqual(['partnership', 'referrer'])
  })

  it('binds a referrer and a partnership to existing defaults when not told', async () => {
    const claims = decodeJwt((await run(['--role', 'referrer,partnership'])).out[0] ?? '')
    expect(claims).toMatchObject({ ods: ['A81001', 'B82002'], partnership: ['leeds'] })
  })

  it('refuses in production and when issuers are configured, and explains usage', async () => {
    expect((await run(['--role', 'operator'], config({ NODE_ENV: 'production', WORKWELL_AUTH_ISSUERS: 'urn:a=/a.json' }))).code).toBe(78)
    expect((await run(['--role', 'operator'], config({ WORKWELL_AUTH_ISSUERS: 'urn:a=/a.json' }))).code).toBe(78)
    expect((await run([])).code).toBe(2)
    expect((await run(['--role', 'admin'])).code).toBe(2)
    expect((await run(['--role', 'operator', '--ttl', '0'])).code).toBe(2)
    expect((await run(['--role', 'operator', '--bogus'])).code).toBe(2)
  })

  it('prints one token per role at start in development', async () => {
    const tokens = await devTokens(config(), { ods: ['A81001'], partnership: 'leeds' }, NOW)
    expect(decodeJwt(tokens.referrer)).toMatchObject({ scope: 'workwell/referrer', ods: ['A81001'] })
    expect(decodeJwt(tokens.partnership)).toMatchObject({ scope: 'workwell/partnership', partnership: ['leeds'] })
    expect(decodeJwt(tokens.operator)).toMatchObject({ scope: 'workwell/operator' })
  })
})
