import { systemScheduler, type Scheduler } from '../../src/scheduler.ts'

/** A Scheduler driven by hand: advance(ms) runs, in time order, every timer that falls due. */
export interface ManualScheduler extends Scheduler {
  now: () => number
  advance: (ms: number) => void
  pending: () => number
}

export function createManualScheduler (start = 0): ManualScheduler {
  let now = start
  let seq = 0
  const timers = new Map<number, { at: number, fn: () => void }>()
  return {
    now: () => now,
    after (ms, fn) {
      const id = seq++
      timers.set(id, { at: now + ms, fn })
      return () => { timers.delete(id) }
    },
    advance (ms) {
      const end = now + ms
      for (;;) {
        const next = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0]
        if (next === undefined) break
        timers.delete(next[0])
        now = next[1].at
        next[1].fn()
      }
      now = end
    },
    pending: () => timers.size
  }
}

/**
 * The system scheduler, counting the timers it ran and those still pending: a test waits for
 * a number of polls to have happened (a condition), never for an amount of time.
 */
export interface CountingScheduler extends Scheduler {
  fired: () => number
  pending: () => number
}

export function createCountingScheduler (): CountingScheduler {
  let fired = 0
  const live = new Set<number>()
  let seq = 0
  return {
    after (ms, fn) {
      const id = seq++
      live.add(id)
      const cancel = systemScheduler.after(ms, () => {
        live.delete(id)
        fired++
        fn()
      })
      return () => { live.delete(id); cancel() }
    },
    fired: () => fired,
    pending: () => live.size
  }
}
