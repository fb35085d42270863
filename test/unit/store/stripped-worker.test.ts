import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { stripTypeScriptTypes } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { strippedModules, strippedWorker } from '../../../src/store/stripped-worker.ts'

// a worker module that reports what it computed and whether its isolate loaded Node's type stripper
const ENTRY = `import { parentPort } from 'node:worker_threads'
import { double } from './double.ts'
import type { Shape } from './shape.ts'
export { triple } from './triple.ts'
const answer: Shape = { value: double(21) }
parentPort?.postMessage({ answer, stripper: process.moduleLoadList.filter((m: string) => m.includes('amaro')).length })
`

interface Report { answer: { value: number }, stripper: number }

async function firstMessage (worker: Worker): Promise<Report> {
  try {
    return await new Promise<Report>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', (code) => { reject(new Error(`exited ${code}`)) })
    })
  } finally {
    await worker.terminate()
  }
}

describe('stripped worker', () => {
  let dir: string
  const url = (name: string): URL => pathToFileURL(path.join(dir, name))
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'workwell-stripped-'))
    writeFileSync(path.join(dir, 'entry.ts'), ENTRY)
    writeFileSync(path.join(dir, 'double.ts'), 'export function double (n: number): number { return 2 * n }\n')
    writeFileSync(path.join(dir, 'triple.ts'), 'import { double } from \'./double.ts\'\nexport const triple = (n: number): number => double(n) + n\n')
    writeFileSync(path.join(dir, 'shape.ts'), 'export interface Shape { value: number }\n')
  })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  // in a process of its own: Node prints the warning once per process, and the test runner may
  // have set it off already
  it('prints no ExperimentalWarning for the stripping, which Node\'s stripper alone does', () => {
    const run = (code: string): string => spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }).stderr
    const module = pathToFileURL(path.resolve('src/store/stripped-worker.ts')).href
    const entry = url('entry.ts').href
    expect(run(`import { strippedWorker } from '${module}'
const w = strippedWorker(new URL('${entry}'), {})
w.once('message', () => { w.terminate() })`)).not.toContain('ExperimentalWarning')
    expect(run('import { stripTypeScriptTypes } from \'node:module\'\nstripTypeScriptTypes(\'const x: number = 1\')')).toContain('ExperimentalWarning: stripTypeScriptTypes')
  })

  it('finds every module the entry imports or re-exports at run time, and none it imports only for types', () => {
    const modules = strippedModules(url('entry.ts'), (s) => stripTypeScriptTypes(s))
    expect([...modules.keys()].sort()).toEqual(['double.ts', 'entry.ts', 'triple.ts'].map((n) => url(n).href))
    expect(modules.get(url('double.ts').href)).not.toContain(': number')
  })

  it('runs the module in a worker whose isolate never loads the type stripper, which a plain worker does', async () => {
    const plain = await firstMessage(new Worker(url('entry.ts')))
    expect(plain).toEqual({ answer: { value: 42 }, stripper: 1 })
    const stripped = await firstMessage(strippedWorker(url('entry.ts'), {}))
    expect(stripped).toEqual({ answer: { value: 42 }, stripper: 0 })
  })

  it('passes the caller\'s workerData on', async () => {
    writeFileSync(path.join(dir, 'data.ts'), 'import { parentPort, workerData } from \'node:worker_threads\'\nparentPort?.postMessage({ answer: { value: (workerData as { n: number }).n }, stripper: 0 })\n')
    expect((await firstMessage(strippedWorker(url('data.ts'), { n: 7 }))).answer.value).toBe(7)
  })

  it('refuses to start when a module was not stripped ahead, instead of loading the stripper after all', async () => {
    writeFileSync(path.join(dir, 'late.ts'), 'const m = \'./double.ts\'\nawait import(m)\n')
    await expect(firstMessage(strippedWorker(url('late.ts'), {}))).rejects.toThrow(/double\.ts was not stripped ahead/)
  })
})
