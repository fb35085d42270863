import { spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO, tempDataDir } from '../helpers/gateway.ts'
import { spawnServer, type ServerProcess } from '../helpers/spawn-server.ts'
import { call } from '../helpers/fixtures.ts'
import { until } from '../helpers/until.ts'

const dirs: string[] = []
const servers: ServerProcess[] = []
afterAll(async () => {
  for (const s of servers) { s.child.kill('SIGKILL'); await s.exited() }
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function runToExit (env: Record<string, string>, args = ['src/server.ts']): Promise<{ code: number | null, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: REPO, env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8') })
    child.on('exit', (code) => { resolve({ code, stderr }) })
  })
}

/** production needs its own NHS number digest key; these tests are about the issuers */
const DUPLICATE_KEY = 'duplicate-key-for-the-start-up-tests!'

describe('starting with and without trusted issuers', () => {
  it('refuses to start in production without issuers, and never mints a token there', async () => {
    const dataDir = tempDataDir()
    dirs.push(dataDir)
    const start = await runToExit({ NODE_ENV: 'production', WORKWELL_DUPLICATE_KEY: DUPLICATE_KEY, WORKWELL_DATA_DIR: dataDir })
    expect(start.code).toBe(78)
    expect(start.stderr).toContain('WORKWELL_AUTH_ISSUERS')
    expect(existsSync(path.join(dataDir, 'auth'))).toBe(false)
    const mint = await runToExit({ NODE_ENV: 'production', WORKWELL_DUPLICATE_KEY: DUPLICATE_KEY, WORKWELL_DATA_DIR: dataDir }, ['bin/workwell.js', 'token', '--role', 'operator'])
    expect(mint.code).toBe(78)
    expect(existsSync(path.join(dataDir, 'auth'))).toBe(false)
  })

  it('refuses plain-http partnership endpoints in production', async () => {
    const dataDir = tempDataDir()
    dirs.push(dataDir)
    const start = await runToExit({ NODE_ENV: 'production', WORKWELL_DUPLICATE_KEY: DUPLICATE_KEY, WORKWELL_DATA_DIR: dataDir, WORKWELL_AUTH_ISSUERS: `urn:test=${path.join(REPO, 'package.json')}` })
    expect(start.code).toBe(78)
    expect(start.stderr).toMatch(/WORKWELL_PARTNER_URL_[A-Z_]+: .*https/)
  })

  it('in development makes a key in the data folder and prints tokens that work, each for its role', async () => {
    const dataDir = tempDataDir()
    dirs.push(dataDir)
    // WORKWELL_AUTH_ISSUERS set to empty: the helper's test issuer is left out, the dev key is used
    const server = await spawnServer({ WORKWELL_DATA_DIR: dataDir, WORKWELL_DELIVERY_ENABLED: 'false', WORKWELL_AUTH_ISSUERS: '' })
    servers.push(server)
    const printed = (): RegExpExecArray | null => /referrer \(every pilot practice\): (\S+)\n\s+partnership \([a-z-]+\): (\S+)\n\s+operator: (\S+)/.exec(server.output())
    await until(() => printed() !== null, 15_000, 'the development tokens to be printed')
    const [, referrer = '', partnership = '', operator = ''] = printed() ?? []
    expect(referrer).not.toBe('')
    expect(existsSync(path.join(dataDir, 'auth', 'dev-signing-key.jwk.json'))).toBe(true)
    const as = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` })
    expect((await call(`${server.origin}/fhir/Task`, { headers: { ...as(referrer) } })).status).toBe(200)
    expect((await call(`${server.origin}/fhir/Task`, { headers: { ...as(partnership) } })).status).toBe(200)
    expect((await call(`${server.origin}/admin/deliveries`, { headers: { ...as(operator) } })).status).toBe(200)
    expect((await call(`${server.origin}/admin/deliveries`, { headers: { ...as(referrer) } })).status).toBe(403)
    expect((await call(`${server.origin}/fhir/Task`, { headers: { authorization: '' } })).status).toBe(401)
  })
})
