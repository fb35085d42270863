import { readFileSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { Worker } from 'node:worker_threads'

/**
 * The worker's own start: every TypeScript module of its graph is answered from the sources
 * this thread stripped (node:module registerHooks, a load hook in the worker's own thread), so
 * the worker never loads Node's type stripper. A module the walk did not find is an error, not
 * a quiet fallback: the worker fails to start, and so does every test that opens the store.
 */
const STRIPPED_WORKER_SOURCE = `
const { registerHooks } = require('node:module')
const { workerData } = require('node:worker_threads')
const sources = workerData.strippedSources
registerHooks({
  load (url, context, next) {
    const source = sources.get(url)
    if (source !== undefined) return { format: 'module', source, shortCircuit: true }
    if (url.endsWith('.ts')) throw new Error('stripped-worker: ' + url + ' was not stripped ahead (an import the walk in src/store/stripped-worker.ts does not see)')
    return next(url, context)
  }
})
import(workerData.strippedEntry).catch((err) => { setImmediate(() => { throw err }) })
`

// static imports and re-exports of relative .ts modules, as stripped JavaScript spells them
// (`import type` is gone by then); dynamic import() is not followed
const RELATIVE_IMPORT = /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?['"](\.{1,2}\/[^'"]+\.ts)['"]/g

/**
 * The JavaScript of a TypeScript module and of every relative module it imports at run time,
 * by file URL. Types are replaced by spaces (strip-only mode), so positions in stack traces stay
 * those of the .ts files.
 *
 * @param strip - TypeScript to JavaScript (node:module stripTypeScriptTypes)
 * @throws when a module cannot be read or stripped
 */
export function strippedModules (entry: URL, strip: (source: string) => string): Map<string, string> {
  const out = new Map<string, string>()
  const queue = [entry.href]
  for (let href = queue.pop(); href !== undefined; href = queue.pop()) {
    if (out.has(href)) continue
    const js = strip(readFileSync(new URL(href), 'utf8'))
    out.set(href, js)
    for (const m of js.matchAll(RELATIVE_IMPORT)) {
      const specifier = m[1]
      if (specifier !== undefined) queue.push(new URL(specifier, href).href)
    }
  }
  return out
}

/**
 * `run` without the ExperimentalWarning Node's stripper prints on first use: the gateway relies
 * on what it does here (strip-only, the mode Node runs .ts files in) and an operator can do
 * nothing about the warning. One guard around the whole walk, not one per module.
 */
function withoutStripperWarning<T> (run: () => T): T {
  const emit = process.emitWarning
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]): void => {
    if (!String(warning).includes('stripTypeScriptTypes')) Reflect.apply(emit, process, [warning, ...rest])
  }) as typeof process.emitWarning
  try {
    return run()
  } finally {
    process.emitWarning = emit
  }
}

/**
 * A worker thread running a TypeScript module without its own copy of the type stripper: each
 * isolate that loads a .ts file loads the stripper too, ~13 MB of resident memory (a worker
 * loading a .ts module measured 26 MB, one loading plain JavaScript 13 MB). This thread strips
 * the worker's modules once, already having the stripper, and hands the JavaScript over.
 *
 * @param entry - the worker's .ts module
 * @param workerData - passed on as the worker's workerData (with the stripped sources added)
 */
export function strippedWorker (entry: URL, workerData: Record<string, unknown>): Worker {
  // both are still marked experimental in Node 24: a Node without them starts a plain worker,
  // which only costs the memory
  if (typeof nodeModule.stripTypeScriptTypes !== 'function' || typeof nodeModule.registerHooks !== 'function') return new Worker(entry, { workerData })
  const strippedSources = withoutStripperWarning(() => strippedModules(entry, (source) => nodeModule.stripTypeScriptTypes(source, { mode: 'strip' })))
  return new Worker(STRIPPED_WORKER_SOURCE, { eval: true, workerData: { ...workerData, strippedSources, strippedEntry: entry.href } })
}
