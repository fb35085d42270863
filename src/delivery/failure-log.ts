/**
 * Coded reasons for the delivery worker's own failures (not a partner's), each with what an
 * operator can do about it. A log line carries the code, the hint and the error's class and
 * driver code only: a driver's or library's message can quote the values it failed on.
 */
export const FAILURE_HINTS = {
  'outcome-not-recorded': 'the store refused the outcome write (disk full, lock timeout, lost connection): check the database; the row is tried again when its lease ends',
  'attempt-crashed': 'a bug in the worker while making the attempt: the row is retried with backoff; report the error class',
  'poll-failed': 'claiming due rows failed: check the database; the worker polls again at its interval',
  'circuit-not-saved': 'the circuit state could not be written: operators may see a stale circuit until the next change',
  'circuit-not-read': 'recorded circuit state could not be read at start: circuits start closed',
  'alerts-check-failed': 'the alert check could not read the outbox: check the database; alerts keep their last state',
  'prune-failed': 'the scheduled prune failed: check the database; nothing was half-deleted, it runs again at its interval'
} as const

export type FailureCode = keyof typeof FAILURE_HINTS

/** The fields of a failure's log line: code, hint and the error's class (plus its code when it has one). */
export function failureFields (reason: FailureCode, err: unknown): { reason: FailureCode, hint: string, error: string } {
  return { reason, hint: FAILURE_HINTS[reason], error: errorClass(err) }
}

/** "SqliteError (SQLITE_BUSY)", "TypeError": the class and code of an error, never its message. */
export function errorClass (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code
    return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? `${err.name} (${code})` : err.name
  }
  return typeof err
}
