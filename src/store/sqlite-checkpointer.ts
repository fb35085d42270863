import { Worker } from 'node:worker_threads'

/**
 * The checkpointer's own code. Plain JavaScript run with `eval`: a thread that only calls
 * node:sqlite needs none of the gateway's modules, and loading a .ts module would start the
 * type stripper in one more isolate (~20 MB resident).
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { DatabaseSync } = require('node:sqlite')
const db = new DatabaseSync(workerData.file, { timeout: 0 })
const step = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')
let runs = 0
const timer = setInterval(() => {
  try { step.get(); runs++ } catch { /* busy: the next tick tries again */ }
}, workerData.intervalMs)
parentPort.on('message', (m) => {
  if (m === 'runs') { parentPort.postMessage(runs); return }
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

export interface Checkpointer {
  /** how many checkpoints have run (for tests and diagnostics) */
  runs: () => Promise<number>
  close: () => Promise<void>
}

/**
 * Copies the WAL back into the database file from a thread of its own (SQLite WAL mode §5:
 * a PASSIVE checkpoint runs beside readers and the writer and never blocks them). Without it
 * the writer's automatic checkpoint copied ~40 MB and fsynced the database inside a COMMIT
 * every few thousand referrals: 40 stalls of 10-77 ms in a 10 s intake run, a third of the
 * writer's commit time and most of the p99 (intake CPU profile). The writer keeps its
 * automatic checkpoint, which then finds most frames already copied and only restarts the WAL.
 * Every 200 ms: a page rewritten between two checkpoints is copied once, and at 25 ms the
 * copies of the same hot index pages cost the thread 7x the CPU for no gain in the figures.
 *
 * @param file - the SQLite database file (already in WAL mode)
 * @param intervalMs - time between checkpoints
 */
export async function startCheckpointer (file: string, intervalMs = 200): Promise<Checkpointer> {
  const worker = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    workerData: { file, intervalMs },
    // it holds no data: a small heap keeps its isolate small
    resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 }
  })
  await new Promise<void>((resolve, reject) => {
    worker.once('online', resolve)
    worker.once('error', reject)
  })
  // a failing checkpointer costs only its speed-up: the writer's own checkpoint still runs
  worker.on('error', () => undefined)
  const exited = new Promise<void>((resolve) => { worker.once('exit', () => { resolve() }) })
  return {
    runs: async () => new Promise<number>((resolve) => {
      worker.once('message', (n: number) => { resolve(n) })
      worker.postMessage('runs')
    }),
    close: async () => {
      worker.postMessage('close')
      await exited
    }
  }
}
