import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

/** Busy timeout when none is given: long enough to ride out another process's commit. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000

/**
 * Opens a SQLite connection configured for the gateway: WAL (readers never block the one
 * writer), synchronous=FULL (an acknowledged referral survives power loss, not just a
 * process crash), foreign keys on, rarer checkpoints, and a busy timeout so a second process waits for the
 * write lock instead of failing at once. The parent folder is created when absent.
 *
 * @param file a path, or ':memory:' for tests
 * @throws RangeError when busyTimeoutMs is not a non-negative integer
 */
export function openSqliteDatabase (file: string, busyTimeoutMs: number = DEFAULT_BUSY_TIMEOUT_MS): DatabaseSync {
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`)
  }
  if (file !== ':memory:' && file !== '') mkdirSync(dirname(file), { recursive: true })

  const db = new DatabaseSync(file, { enableForeignKeyConstraints: true, timeout: busyTimeoutMs })
  try {
    // busy_timeout first: switching to WAL needs a lock another process may hold
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = FULL')
    db.exec('PRAGMA foreign_keys = ON')
    // a referral writes ~14 KB (its ServiceRequest and triage Task, their index rows): with the
    // default 1000-page WAL a checkpoint (DB writes + fsync on the request path) came every
    // ~300 referrals; 10000 pages (~40 MB of WAL) makes it ten times rarer (a node:sqlite
    // micro-benchmark measured 72 → 52 µs per grouped request for this alone)
    db.exec('PRAGMA wal_autocheckpoint = 10000')
    return db
  } catch (err) {
    db.close()
    throw err
  }
}
