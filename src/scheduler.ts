/**
 * Timers are passed in like the clock, so a worker's or a prune's schedule can be driven by
 * a test (fake timers, or a manual scheduler) instead of waiting in real time.
 */
export interface Scheduler {
  /** Runs fn once after ms; returns a function that cancels it. Never keeps the process alive. */
  after: (ms: number, fn: () => void) => () => void
}

/** setTimeout, unref'd: what keeps the process up is the server's business, not a pending timer. */
export const systemScheduler: Scheduler = {
  after (ms, fn) {
    const timer = setTimeout(fn, ms)
    timer.unref()
    return () => { clearTimeout(timer) }
  }
}
