import { openSqliteStore, type SqliteStoreOptions } from './sqlite-store.ts'
import type { Store } from './store.ts'
import { toReferralRows } from './store-rows.ts'
import { normaliseInstant } from './fhir-instant.ts'
import { patientKeyFilter, type PatientKeyFilter } from './patient-key-filter.ts'
import { startCheckpointer } from './sqlite-checkpointer.ts'
import { compileCachedWorker } from './cached-worker.ts'
import { fromWireError, type WriteMethod, type WriterRequest, type WriterResponse } from './sqlite-writer-protocol.ts'

export interface ThreadedSqliteStoreOptions extends SqliteStoreOptions {
  /**
   * How many days back duplicates are looked for (WORKWELL_DUPLICATE_WINDOW_DAYS). With it, the
   * patient keys of that span are read into a filter at open and most lookups need no read
   * (patient-key-filter.ts); without it every lookup reads.
   */
  duplicateWindowDays?: number
  /** when the filter is filled (default: now) */
  openedAt?: Date
}

/**
 * The SQLite store with its writes on a worker thread (docs/decisions/sqlite-writer.md: with every write on
 * the event loop, COMMIT and the inserts took 46% of it while the second core idled). Reads
 * run here on their own connection; each write is a message to the writer thread, which
 * group-commits. Migrations run here first, so the writer opens an up-to-date file.
 *
 * @throws when the file cannot be opened, its schema is newer, or the thread cannot start
 */
export async function openThreadedSqliteStore (options: ThreadedSqliteStoreOptions): Promise<Store> {
  // the reader here and the writer thread each open the file: an in-memory database would be
  // two databases, and every write would be invisible to every read
  if (options.file === ':memory:' || options.file === '' || options.file.startsWith('file::memory:')) {
    throw new RangeError('the threaded SQLite store needs a database file, not an in-memory database (use openSqliteStore for :memory:)')
  }
  const reader = await openSqliteStore(options)
  // through the compile cache: a warm start loads no type stripper in the writer's isolate
  const worker = compileCachedWorker(new URL('./sqlite-writer-thread.ts', import.meta.url), { file: options.file, busyTimeoutMs: options.busyTimeoutMs })
  const waiting = new Map<number, { resolve: (value: unknown) => void, reject: (err: Error) => void }>()
  let nextId = 0
  let alive = true
  let failure: Error | undefined

  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: WriterResponse) => {
        if (!Array.isArray(m) && m.ready) resolve()
        else reject(!Array.isArray(m) && !m.ready ? fromWireError(m.error) : new Error('the SQLite writer thread did not start'))
      })
      worker.once('error', reject)
    })
  } catch (err) {
    await worker.terminate()
    await reader.close()
    throw err
  }

  let keys: PatientKeyFilter | undefined
  if (options.duplicateWindowDays !== undefined) {
    const from = normaliseInstant(new Date((options.openedAt ?? new Date()).getTime() - options.duplicateWindowDays * 86_400_000).toISOString())
    keys = patientKeyFilter(from)
    for (const k of reader.patientKeysSince(from)) keys.add(k.key, k.acceptedAt)
  }

  // a speed-up only: without it the writer's own automatic checkpoint still bounds the WAL
  const checkpointer = await startCheckpointer(options.file).catch(() => undefined)

  worker.on('message', (m: WriterResponse) => {
    if (!Array.isArray(m)) return
    for (const r of m) {
      const w = waiting.get(r.id)
      if (w === undefined) continue
      waiting.delete(r.id)
      if (r.ok) w.resolve(r.value)
      else w.reject(fromWireError(r.error))
    }
  })
  const fail = (err: Error): void => {
    alive = false
    failure = err
    for (const w of waiting.values()) w.reject(err)
    waiting.clear()
  }
  worker.on('error', fail)
  worker.on('exit', (code) => { fail(new Error(`the SQLite writer thread exited (${code})`)) })

  const send = async (request: WriterRequest): Promise<unknown> => {
    if (!alive) throw failure ?? new Error('the SQLite store is closed')
    return new Promise((resolve, reject) => {
      waiting.set(request.id, { resolve, reject })
      worker.postMessage(request)
    })
  }
  // the writer runs the same method of the same store class, so its result has this type
  const write = async <K extends WriteMethod>(method: K, args: Parameters<Store[K]>): Promise<Awaited<ReturnType<Store[K]>>> =>
    await send({ id: nextId++, method, args }) as Awaited<ReturnType<Store[K]>>

  let closing: Promise<void> | undefined
  return {
    claimRequestId: async (...a) => write('claimRequestId', a),
    releaseRequestId: async (...a) => write('releaseRequestId', a),
    // flattened here, so the clone to the writer is of strings (store-rows.ts ReferralRows)
    saveReferral: async (w) => {
      const rows = toReferralRows(w, normaliseInstant)
      // before the commit: a key whose write then fails is only a false "maybe"
      if (rows.patientKey !== null) keys?.add(rows.patientKey[1], rows.patientKey[2])
      await send({ id: nextId++, method: 'saveReferralRows', args: [rows] })
    },
    appendAudit: async (...a) => write('appendAudit', a),
    updateTask: async (...a) => write('updateTask', a),
    claimDueDeliveries: async (...a) => write('claimDueDeliveries', a),
    settleDeliveries: async (...a) => write('settleDeliveries', a),
    replayDelivery: async (...a) => write('replayDelivery', a),
    saveCircuit: async (...a) => write('saveCircuit', a),
    prune: async (...a) => write('prune', a),
    readResource: async (...a) => reader.readResource(...a),
    searchTasks: async (...a) => reader.searchTasks(...a),
    // a read: it sees every referral the writer has committed (WAL); the filter first, since
    // each of the writer's commits leaves this connection's page cache cold
    referralsByPatientKey: async (key, since, limit) => keys === undefined || keys.mayHave(key, normaliseInstant(since))
      ? reader.referralsByPatientKey(key, since, limit)
      : [],
    listDeliveries: async (...a) => reader.listDeliveries(...a),
    outboxStats: async () => reader.outboxStats(),
    listCircuits: async () => reader.listCircuits(),
    searchAudit: async (...a) => reader.searchAudit(...a),
    ping: async () => alive && await reader.ping(),
    close: async () => {
      closing ??= (async () => {
        await checkpointer?.close()
        // the writer commits what it was given before it closes its connection
        if (alive) await send({ id: nextId++, method: 'close' }).catch(() => undefined)
        alive = false
        failure = new Error('the SQLite store is closed')
        await worker.terminate()
        await reader.close()
      })()
      await closing
    }
  }
}
