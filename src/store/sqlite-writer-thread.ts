import { parentPort, workerData } from 'node:worker_threads'
import { openSqliteStore, type SqliteWriterStore } from './sqlite-store.ts'
import { toWireError, type WriterReply, type WriterRequest, type WriterResponse } from './sqlite-writer-protocol.ts'

/**
 * The SQLite writer thread (threaded-sqlite-store.ts): one connection that runs every write.
 * Calls arriving while a COMMIT is running queue up and go into the next group commit
 * (sqlite-store.ts #commitGroup, group-commit.ts), so the batches grow with the load on their own.
 */
const port = parentPort
if (port === null) throw new Error('sqlite-writer-thread.ts runs as a worker thread only')
const { file, busyTimeoutMs } = workerData as { file: string, busyTimeoutMs?: number }
const post = (message: WriterResponse): void => { port.postMessage(message) }
// the answers settled by one group commit all arrive in one microtask drain; the tick after
// it sends them as one message
let replies: WriterReply[] = []
const reply = (answer: WriterReply): void => {
  if (replies.length === 0) process.nextTick(() => { post(replies); replies = [] })
  replies.push(answer)
}

let store: SqliteWriterStore
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
      // after the answers of the writes the close committed (they go out on the next tick)
      setImmediate(() => {
        post([...replies, { id: request.id, ok: true, value: undefined }])
        replies = []
        port.close()
      })
    }, (err: unknown) => { reply({ id: request.id, ok: false, error: toWireError(err) }) })
    return
  }
  // the method is one of WRITE_METHODS and args are what the caller passed it
  const method = store[request.method] as (...args: unknown[]) => Promise<unknown>
  method.apply(store, request.args).then(
    (value) => { reply({ id: request.id, ok: true, value }) },
    (err: unknown) => { reply({ id: request.id, ok: false, error: toWireError(err) }) }
  )
})
