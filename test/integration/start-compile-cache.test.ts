import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REPO } from '../helpers/gateway.ts'

/**
 * npm start (bin/start.js) on a compile cache filled by bin/warm-compile-cache.js, as the
 * container image is built: the main thread never loads Node's type stripper. (The writer
 * thread's isolate is checked in test/unit/store/cached-worker.test.ts.)
 */
describe('npm start on a warm compile cache', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'workwell-start-cache-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  // a preload in plain JavaScript (it strips nothing itself) that says, as the process exits,
  // whether its main thread loaded the stripper
  const preload = (): string => {
    const file = path.join(dir, 'report.mjs')
    writeFileSync(file, "process.on('exit', () => { process.stderr.write('stripper loaded: ' + process.moduleLoadList.filter((m) => m.includes('amaro')).length + '\\n') })\n")
    return file
  }

  // npm start's cache is the default one, in the OS temp folder: each run here gets a temp
  // folder of its own, and no NODE_COMPILE_CACHE (which would turn the cache on by itself)
  const withTemp = (temp: string): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: temp }
    delete env.NODE_COMPILE_CACHE
    delete env.NODE_DISABLE_COMPILE_CACHE
    return env
  }

  /** Starts the gateway, waits until it is ready, stops it; what the preload reported. */
  async function startAndStop (temp: string): Promise<string> {
    const data = mkdtempSync(path.join(dir, 'data-'))
    const child = spawn(process.execPath, ['--import', preload(), 'bin/start.js'], {
      cwd: REPO,
      env: { ...withTemp(temp), HOST: '127.0.0.1', PORT: '0', WORKWELL_DATA_DIR: data, WORKWELL_DELIVERY_ENABLED: 'false', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8') })
    child.stderr.on('data', (d: Buffer) => { err += d.toString('utf8') })
    const exited = new Promise<number | null>((resolve) => { child.once('exit', resolve) })
    try {
      const deadline = Date.now() + 20_000
      let ready = false
      while (!ready) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the gateway did not become ready: ${out.slice(-1000)} ${err.slice(-1000)}`)
        const origin = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]
        ready = origin !== undefined && (await fetch(`${origin}/health/ready`).then((r) => r.status === 200, () => false))
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 20))
      }
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      return /stripper loaded: \d+/.exec(err)?.[0] ?? `no report: ${err.slice(-500)}`
    } finally {
      child.kill('SIGKILL')
    }
  }

  it('loads no type stripper once bin/warm-compile-cache.js has filled the cache, and one on an empty cache', async () => {
    const warmed = mkdtempSync(path.join(dir, 'warmed-'))
    const warm = spawnSync(process.execPath, ['bin/warm-compile-cache.js'], { cwd: REPO, env: withTemp(warmed), encoding: 'utf8', timeout: 60_000 })
    expect(warm.status, warm.stderr).toBe(0)
    expect(await startAndStop(warmed)).toBe('stripper loaded: 0')
    // the control: a cold start strips, so the check above can tell the two apart
    expect(await startAndStop(mkdtempSync(path.join(dir, 'cold-')))).toBe('stripper loaded: 1')
  }, 90_000)
})
