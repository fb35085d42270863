import type { CircuitRecord, CircuitState } from '../store/store.ts'

/** Settings shared by every partnership's breaker. */
export interface BreakerPolicy {
  /** the sliding window: the last this many results (count-based, so a partner called rarely is judged as surely as a busy one) */
  windowCalls: number
  /** failures the window must hold before the rate may open the circuit (the minimum number of calls) */
  minimumFailures: number
  /** the failure rate (0..1] at or above which the partner is taken to be down */
  failureRate: number
  /** how long an open circuit waits before its next probe: a down partner gets one probe per interval */
  openMs: number
  /** probes a half-open circuit admits in all (the first alone; the rest once it succeeded) */
  halfOpenProbes: number
}

/** Down means nearly every call fails; a partner that still answers half its calls is degraded, not down. */
export const DEFAULT_BREAKER: BreakerPolicy = { windowCalls: 40, minimumFailures: 20, failureRate: 0.95, openMs: 30_000, halfOpenProbes: 3 }

/**
 * What a caller may do now: 'send' normally, 'probe' as one of the half-open trials, or
 * 'deny' (circuit open, or the half-open trials taken).
 */
export type Admission = 'send' | 'probe' | 'deny'

/** Circuit breakers for all partnerships of one worker. */
export interface CircuitBreakers {
  /** Partnerships whose rows must not be claimed in bulk now: open or half-open. */
  blocked: (now: Date) => string[]
  /** Half-open partnerships that would admit a probe now. */
  probeDue: (now: Date) => string[]
  /** Asks to send one request. */
  admit: (partnershipId: string, now: Date) => Admission
  /**
   * Records how a request the breaker admitted ended. 'success' is any HTTP answer that shows
   * the partner is up (2xx, and 4xx other than 408/429); 'failure' a 408, 429, 5xx, timeout or
   * reset. A result of a 'send' that ends after the circuit opened is ignored: only probes
   * decide whether an open circuit closes.
   */
  record: (partnershipId: string, admission: Exclude<Admission, 'deny'>, result: 'success' | 'failure', now: Date) => void
  /** When a denied row should be tried again. */
  retryAt: (partnershipId: string, now: Date) => Date
  /** True while the partnership's circuit is not closed: the breaker sees an outage. */
  down: (partnershipId: string, now: Date) => boolean
  /** The current state of every partnership the breaker has seen. */
  snapshot: (now: Date) => CircuitRecord[]
  /** Resumes from recorded state (e.g. after a restart), so an open circuit stays open. */
  restore: (records: readonly CircuitRecord[]) => void
}

interface Circuit {
  state: 'closed' | 'open'
  /** results in the window, oldest first: true for a failure */
  window: boolean[]
  openedAt?: number
  openUntil: number
  /** half-open trial: probes admitted, and how many of those answered well or badly */
  probes: number
  probeSuccesses: number
  probeFailures: number
  updatedAt: number
}

/**
 * Creates per-partnership circuit breakers that tell a partner that is DOWN from one that is
 * DEGRADED. The circuit opens only on the failure rate over a sliding window of the last
 * `windowCalls` results (count-based, resilience4j's default: a time window never fills for a
 * partner called a few times an hour, which then could never be found down), and only once
 * the window holds `minimumFailures` failures (resilience4j's minimumNumberOfCalls), so a
 * partner failing 60 % of its calls stays closed; how much it is sent is then the adaptive
 * limit's job (concurrency-limit.ts). An open circuit lets one probe through per `openMs`;
 * its failure reopens it for the same interval (no doubling: a returning partner is found
 * within one interval). Once a probe succeeds, the half-open circuit admits up to
 * `halfOpenProbes` in all, and closes when they are answered unless their failure rate is
 * that of a down partner.
 * @param policy - window, thresholds, probe interval and probes
 * @param onChange - called with the new state after each transition (persisted by the worker)
 */
export function createCircuitBreakers (policy: BreakerPolicy, onChange: (record: CircuitRecord) => void = () => undefined): CircuitBreakers {
  const circuits = new Map<string, Circuit>()

  const circuitOf = (id: string): Circuit => {
    let c = circuits.get(id)
    if (c === undefined) {
      c = { state: 'closed', window: [], openUntil: 0, probes: 0, probeSuccesses: 0, probeFailures: 0, updatedAt: 0 }
      circuits.set(id, c)
    }
    return c
  }
  const stateOf = (c: Circuit, now: number): CircuitState =>
    c.state === 'closed' ? 'closed' : now >= c.openUntil ? 'half-open' : 'open'
  const failuresIn = (c: Circuit): number => c.window.reduce((n, failed) => n + (failed ? 1 : 0), 0)
  const admitsProbe = (c: Circuit): boolean =>
    // the first probe goes alone, so a partner that is down gets one per interval
    c.probeSuccesses === 0 ? c.probes === 0 : c.probes < policy.halfOpenProbes

  const toRecord = (id: string, c: Circuit, now: number): CircuitRecord => {
    const record: CircuitRecord = { partnershipId: id, state: stateOf(c, now), consecutiveFailures: failuresIn(c), updatedAt: new Date(c.updatedAt).toISOString() }
    if (c.openedAt !== undefined) record.openedAt = new Date(c.openedAt).toISOString()
    if (c.state === 'open') record.openUntil = new Date(c.openUntil).toISOString()
    return record
  }

  const open = (id: string, c: Circuit, now: number, reopening: boolean): void => {
    c.state = 'open'
    // a reopening keeps the time the outage began, for the circuit-open alert
    if (!reopening || c.openedAt === undefined) c.openedAt = now
    c.openUntil = now + policy.openMs
    c.probes = 0
    c.probeSuccesses = 0
    c.probeFailures = 0
    c.updatedAt = now
    onChange(toRecord(id, c, now))
  }

  const close = (id: string, c: Circuit, now: number): void => {
    c.state = 'closed'
    c.window = []
    c.openedAt = undefined
    c.probes = 0
    c.probeSuccesses = 0
    c.probeFailures = 0
    c.updatedAt = now
    onChange(toRecord(id, c, now))
  }

  return {
    blocked (now) {
      const t = now.getTime()
      return [...circuits].filter(([, c]) => stateOf(c, t) !== 'closed').map(([id]) => id)
    },

    probeDue (now) {
      const t = now.getTime()
      return [...circuits].filter(([, c]) => stateOf(c, t) === 'half-open' && admitsProbe(c)).map(([id]) => id)
    },

    admit (id, now) {
      const c = circuitOf(id)
      const t = now.getTime()
      const state = stateOf(c, t)
      if (state === 'closed') return 'send'
      if (state === 'open' || !admitsProbe(c)) return 'deny'
      c.probes++
      if (c.probes === 1) {
        c.updatedAt = t
        onChange(toRecord(id, c, t))
      }
      return 'probe'
    },

    record (id, admission, result, now) {
      const c = circuitOf(id)
      const t = now.getTime()
      if (admission === 'probe') {
        if (c.state === 'closed') return
        if (result === 'failure') c.probeFailures++
        else c.probeSuccesses++
        if (c.probeSuccesses === 0) {
          open(id, c, t, true)
          return
        }
        if (c.probeSuccesses + c.probeFailures < policy.halfOpenProbes) return
        if (c.probeFailures / (c.probeSuccesses + c.probeFailures) >= policy.failureRate) open(id, c, t, true)
        else close(id, c, t)
        return
      }
      if (c.state !== 'closed') return
      c.window.push(result === 'failure')
      if (c.window.length > policy.windowCalls) c.window.splice(0, c.window.length - policy.windowCalls)
      if (result === 'success') return
      const failures = failuresIn(c)
      if (failures >= policy.minimumFailures && failures / c.window.length >= policy.failureRate) open(id, c, t, false)
    },

    retryAt (id, now) {
      const c = circuits.get(id)
      const t = now.getTime()
      if (c === undefined || c.state === 'closed') return now
      // a row denied while half-open waits a little for the probes' verdict
      return new Date(t < c.openUntil ? c.openUntil : t + Math.min(policy.openMs, 1_000))
    },

    down (id, now) {
      const c = circuits.get(id)
      return c !== undefined && stateOf(c, now.getTime()) !== 'closed'
    },

    snapshot (now) {
      const t = now.getTime()
      return [...circuits].map(([id, c]) => toRecord(id, c, t)).sort((a, b) => a.partnershipId.localeCompare(b.partnershipId))
    },

    restore (records) {
      for (const r of records) {
        if (r.state === 'closed') continue
        const c = circuitOf(r.partnershipId)
        c.state = 'open'
        c.openedAt = r.openedAt === undefined ? undefined : Date.parse(r.openedAt)
        // a recorded half-open circuit had its probes cut short: probe again at once
        c.openUntil = r.state === 'open' && r.openUntil !== undefined ? Date.parse(r.openUntil) : 0
        c.updatedAt = Date.parse(r.updatedAt)
      }
    }
  }
}
