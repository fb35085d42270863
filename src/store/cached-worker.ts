import * as nodeModule from 'node:module'
import { Worker } from 'node:worker_threads'

/**
 * The worker's own start: Node's compile cache, in the directory this thread uses, is turned on
 * before the worker's first TypeScript module loads. A module found in the cache needs no
 * stripping, and an isolate that strips nothing never loads Node's type stripper. Only dynamic
 * import(), so that the source means the same as a script or as a module (a process started
 * with --input-type=module evaluates its workers' sources as modules).
 */
const CACHED_WORKER_SOURCE = `
Promise.all([import('node:module'), import('node:worker_threads')]).then(([{ enableCompileCache }, { workerData }]) => {
  if (typeof workerData.compileCacheDir === 'string') enableCompileCache(workerData.compileCacheDir)
  return import(workerData.workerEntry)
}).catch((err) => { setImmediate(() => { throw err }) })
`

/**
 * A worker thread running a TypeScript module through this process's compile cache. Each
 * isolate that strips a .ts file loads Node's type stripper, ~13 MB of resident memory (a
 * worker loading a .ts module measured 26 MB, one loading plain JavaScript 13 MB); with the
 * cache warm, from any earlier start of the same sources, the worker strips nothing. With the
 * cache off (NODE_DISABLE_COMPILE_CACHE) or cold, the worker strips as any other would.
 *
 * @param entry - the worker's .ts module
 * @param workerData - passed on as the worker's workerData (with the entry and cache folder added)
 */
export function compileCachedWorker (entry: URL, workerData: Record<string, unknown>): Worker {
  const compileCacheDir = nodeModule.getCompileCacheDir()
  return new Worker(CACHED_WORKER_SOURCE, { eval: true, workerData: { ...workerData, workerEntry: entry.href, ...(compileCacheDir === undefined ? {} : { compileCacheDir }) } })
}
