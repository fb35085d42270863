import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

/** Busy timeout when none is given: long enough to ride out another process's commit. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000

/**
 * Page size of a new database file (docs/decisions/sqlite-page-size.md): a referral's
 * ServiceRequest is ~5 KB of JSON, which at SQLite's default 4 KiB spills into overflow pages
 * and makes each save touch more pages; at 8 KiB it fits in its leaf. A file created with
 * another size keeps it (SQLite cannot change the page size of a WAL database).
 */
export const PAGE_SIZE = 8192

/** WAL size at which the writer checkpoints itself (sqlite-checkpointer.ts does most of it). */
const AUTOCHECKPOINT_BYTES = 40 * 1024 * 1024

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
    // before anything is written: only an empty database takes it, and WAL mode fixes it
    db.exec(`PRAGMA page_size = ${PAGE_SIZE}`)
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = FULL')
    db.exec('PRAGMA foreign_keys = ON')
    // a referral writes ~14 KB (its ServiceRequest and triage Task, their index rows): with the
    // default 1000-page (4 MB) WAL a checkpoint (DB writes + fsync on the request path) came
    // every ~300 referrals; ~40 MB of WAL makes it ten times rarer (a node:sqlite
    // micro-benchmark measured 72 → 52 µs per grouped request for this alone). Counted in
    // pages, so in the file's own page size
    const pageSize = Number(db.prepare('PRAGMA page_size').get()?.page_size)
    db.exec(`PRAGMA wal_autocheckpoint = ${Math.round(AUTOCHECKPOINT_BYTES / pageSize)}`)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}
