import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

// a worker module that reports what it computed, its workerData, and whether its isolate loaded
// Node's type stripper
const ENTRY = `import { parentPort, workerData } from 'node:worker_threads'
import { double } from './double.ts'
const answer: number = double(21)
parentPort?.postMessage({ answer, n: workerData.n, stripper: process.moduleLoadList.filter((m: string) => m.includes('amaro')).length })
`

interface Report { answer?: number, n?: number, stripper?: number, error?: string }

describe('compile-cached worker', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'workwell-cached-worker-'))
    writeFileSync(path.join(dir, 'entry.ts'), ENTRY)
    writeFileSync(path.join(dir, 'double.ts'), 'export function double (n: number): number { return 2 * n }\n')
    writeFileSync(path.join(dir, 'broken.ts'), 'import { missing } from \'./nowhere.ts\'\nexport const x = missing\n')
  })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  // in a process of its own, whose compile cache is a folder of this test's (the test runner's
  // own process must not have its cache turned on or moved)
  const inProcess = (entry: string, env: Record<string, string> = {}): Report => {
    const module = pathToFileURL(path.resolve('src/store/cached-worker.ts')).href
    const code = `import { enableCompileCache } from 'node:module'
enableCompileCache(${JSON.stringify(path.join(dir, 'cache'))})
const { compileCachedWorker } = await import('${module}')
const w = compileCachedWorker(new URL('${pathToFileURL(path.join(dir, entry)).href}'), { n: 7 })
w.once('message', (m) => { console.log(JSON.stringify(m)); w.terminate() })
w.once('error', (err) => { console.log(JSON.stringify({ error: err.message })) })`
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, ...env } })
    return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Report
  }

  it('runs its module with its workerData, and on a warm cache without loading the type stripper', () => {
    const cold = inProcess('entry.ts')
    expect(cold).toEqual({ answer: 42, n: 7, stripper: 1 })
    // the same sources again: every module is in the cache, none is stripped
    expect(inProcess('entry.ts')).toEqual({ answer: 42, n: 7, stripper: 0 })
  })

  it('still runs with the compile cache turned off, stripping as any worker does', () => {
    inProcess('entry.ts')
    expect(inProcess('entry.ts', { NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual({ answer: 42, n: 7, stripper: 1 })
  })

  it('fails as a worker whose module fails to load', () => {
    expect(inProcess('broken.ts').error).toMatch(/nowhere\.ts/)
  })
})
