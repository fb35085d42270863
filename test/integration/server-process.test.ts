import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { REPO, tempDataDir } from '../helpers/gateway.ts'
import { until } from '../helpers/until.ts'

interface Running { child: ChildProcess, stdout: string[], stderr: string[], exited: Promise<number | null> }

function run (env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['src/server.ts'], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout: string[] = []
  const stderr: string[] = []
  child.stdout?.on('data', (d: Buffer) => stdout.push(...d.toString('utf8').split('\n').filter((l) => l !== '')))
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString('utf8')))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { resolve(code) }))
  return { child, stdout, stderr, exited }
}

async function listeningPort (r: Running): Promise<number> {
  const port = (): string | undefined => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(r.stdout.find((l) => l.includes('listening on')) ?? '')?.[1]
  await until(() => port() !== undefined, 15_000, `the server to start: ${r.stdout.join('\n')} ${r.stderr.join('')}`)
  return Number(port())
}

/** The referrer token a development start prints (on stderr, after it listens). */
async function devToken (r: Running): Promise<string> {
  const token = (): string | undefined => /referrer \(every pilot practice\): (\S+)/.exec(r.stderr.join(''))?.[1]
  await until(() => token() !== undefined, 15_000, 'a development token to be printed')
  return token() ?? ''
}

const cleanup: Array<() => void> = []
afterEach(() => { for (const c of cleanup.splice(0)) c() })

describe('npm start (src/server.ts)', () => {
  it('creates its data folder, logs one line saying where it listens, and finishes an in-flight request on SIGTERM', async () => {
    const parent = tempDataDir()
    const dataDir = path.join(parent, 'nested', 'data')
    cleanup.push(() => { rmSync(parent, { recursive: true, force: true }) })
    const r = run({ HOST: '127.0.0.1', PORT: '0', WORKWELL_DATA_DIR: dataDir, WORKWELL_DELIVERY_ENABLED: 'false', LOG_LEVEL: 'info' })
    cleanup.push(() => r.child.kill('SIGKILL'))
    const port = await listeningPort(r)
    expect(r.stdout.filter((l) => l.includes('listening'))).toHaveLength(1)
    expect(existsSync(path.join(dataDir, 'workwell.sqlite'))).toBe(true)
    // development: a signing key in the data folder and tokens printed, never in the logs
    const token = await devToken(r)
    expect(existsSync(path.join(dataDir, 'auth', 'dev-jwks.json'))).toBe(true)
    expect(r.stdout.join('\n')).not.toContain(token)

    // Start a referral, send half its body, then ask the server to stop.
    const body = readFileSync(path.join(REPO, 'fixtures/referrals/north-central-london/gp-referral.json'))
    const socket = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve) => socket.once('connect', () => { resolve() }))
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    const closed = new Promise<void>((resolve) => socket.once('close', () => { resolve() }))
    // Expect: 100-continue makes the server say when it holds the request (RFC 9110 §10.1.1)
    socket.write(`POST /fhir/ServiceRequest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`)
    await until(() => Buffer.concat(chunks).toString('utf8').startsWith('HTTP/1.1 100 Continue'), 15_000, 'the server to take the request')
    socket.write(body.subarray(0, 100))
    r.child.kill('SIGTERM')
    await until(() => r.stdout.some((l) => l.includes('shutting down')), 15_000, 'the server to begin shutting down')
    // the rest of the body, without half-closing: Node answers a client FIN by closing the socket
    socket.write(body.subarray(100))
    await closed
    const response = Buffer.concat(chunks).toString('utf8')
    expect(response).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201/)
    expect(await r.exited).toBe(0)
    expect(r.stdout.some((l) => l.includes('stopped'))).toBe(true)
  })

  it('refuses to start on a bad configuration value, naming the variable', async () => {
    const parent = tempDataDir()
    cleanup.push(() => { rmSync(parent, { recursive: true, force: true }) })
    const r = run({ PORT: 'eighty', WORKWELL_DATA_DIR: path.join(parent, 'd') })
    expect(await r.exited).not.toBe(0)
    expect(r.stderr.join('')).toContain('PORT')
  })
})
