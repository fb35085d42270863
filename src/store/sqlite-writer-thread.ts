import { parentPort, workerData } from 'node:worker_threads'
import { openSqliteStore } from './sqlite-store.ts'
import type { Store } from './store.ts'
import { toWireError, type WriterRequest, type WriterResponse } from './sqlite-writer-protocol.ts'

/**
 * The SQLite writer thread (threaded-sqlite-store.ts): one connection that runs every write.
 * Calls arriving while a COMMIT is running queue up and go into the next group commit
 * (sqlite-store.ts #grouped), so the batches grow with the load on their own.
 */
const port = parentPort
if (port === null) throw new Error('sqlite-writer-thread.ts runs as a worker thread only')
const { file, busyTimeoutMs } = workerData as { file: string, busyTimeoutMs?: number }
const post = (message: WriterResponse): void => { port.postMessage(message) }

let store: Store
try {
  store = await openSqliteStore({ file, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) })
  post({ ready: true })
} catch (err) {
  post({ ready: false, error: toWireError(err) })
  process.exit(1)
}

port.on('message', (request: WriterRequest) => {
  if (request.method === 'close') {
    store.close().then(() => {
      post({ id: request.id, ok: true, value: undefined })
      port.close()
    }, (err: unknown) => { post({ id: request.id, ok: false, error: toWireError(err) }) })
    return
  }
  // the method is one of WRITE_METHODS and args are what the caller passed it
  const method = store[request.method] as (...args: unknown[]) => Promise<unknown>
  method.apply(store, request.args).then(
    (value) => { post({ id: request.id, ok: true, value }) },
    (err: unknown) => { post({ id: request.id, ok: false, error: toWireError(err) }) }
  )
})
