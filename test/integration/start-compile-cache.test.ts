import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REPO } from '../helpers/gateway.ts'
import { spawnServer } from '../helpers/spawn-server.ts'

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

  /**
   * Starts the gateway with npm start's entry, stops it once it listens (its store, and so the
   * writer thread, is open by then); what the preload reported.
   */
  async function startAndStop (temp: string): Promise<string> {
    const data = mkdtempSync(path.join(dir, 'data-'))
    // spawnServer passes on PATH and these only: no NODE_COMPILE_CACHE reaches the server
    const server = await spawnServer({ TMPDIR: temp, WORKWELL_DATA_DIR: data, WORKWELL_DELIVERY_ENABLED: 'false' }, 20_000, undefined, ['--import', preload(), path.join(REPO, 'bin/start.js')])
    try {
      server.child.kill('SIGTERM')
      await server.exited()
      expect(server.child.exitCode).toBe(0)
      return /stripper loaded: \d+/.exec(server.output())?.[0] ?? `no report: ${server.output().slice(-500)}`
    } finally {
      server.child.kill('SIGKILL')
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
