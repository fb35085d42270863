import type { CircuitRecord, CircuitState } from '../store/store.ts'

/** Settings shared by every partnership's breaker. */
export interface BreakerPolicy {
  /** consecutive retryable failures that open the circuit */
  failureThreshold: number
  /** how long the circuit stays open before one probe */
  openMs: number
  /** the open period doubles after each failed probe, up to this */
  maxOpenMs: number
}

/**
 * What a caller may do now: 'send' normally, 'probe' as the single half-open trial, or
 * 'deny' (circuit open, or a probe already in flight).
 */
export type Admission = 'send' | 'probe' | 'deny'

/** Circuit breakers for all partnerships of one worker. */
export interface CircuitBreakers {
  /** Partnerships whose rows must not be claimed in bulk now: open or half-open. */
  blocked: (now: Date) => string[]
  /** Half-open partnerships waiting for their one probe. */
  probeDue: (now: Date) => string[]
  /** Asks to send one request; 'probe' reserves the single half-open trial. */
  admit: (partnershipId: string, now: Date) => Admission
  /**
   * Records how a request the breaker admitted ended. 'success' is any HTTP answer that shows
   * the partner is up (2xx, and 4xx other than 408/429); 'failure' a 408, 429, 5xx, timeout or
   * reset. A result from a request admitted as 'send' while the circuit has since opened is
   * ignored: only the probe decides whether an open circuit closes.
   */
  record: (partnershipId: string, admission: Exclude<Admission, 'deny'>, result: 'success' | 'failure', now: Date) => void
  /** When a denied row should be tried again. */
  retryAt: (partnershipId: string, now: Date) => Date
  /** The current state of every partnership the breaker has seen. */
  snapshot: (now: Date) => CircuitRecord[]
  /** Resumes from recorded state (e.g. after a restart), so an open circuit stays open. */
  restore: (records: readonly CircuitRecord[]) => void
}

interface Circuit {
  state: 'closed' | 'open'
  failures: number
  openedAt?: number
  openUntil: number
  /** how many probes in a row have failed: sets the next open period */
  reopens: number
  probeInFlight: boolean
  updatedAt: number
}

/**
 * Creates per-partnership circuit breakers (closed → open → half-open → closed), so that a
 * partner that is down is not hammered by every due row on every poll, and its rows wait
 * without using up their attempts. Half-open admits exactly one probe; its success closes
 * the circuit, its failure reopens it for twice as long (capped). State is per process and
 * reported through onChange on every transition for operators to see.
 * @param policy - threshold and open periods
 * @param onChange - called with the new state after each transition (persisted by the worker)
 */
export function createCircuitBreakers (policy: BreakerPolicy, onChange: (record: CircuitRecord) => void = () => undefined): CircuitBreakers {
  const circuits = new Map<string, Circuit>()

  const circuitOf = (id: string): Circuit => {
    let c = circuits.get(id)
    if (c === undefined) {
      c = { state: 'closed', failures: 0, openUntil: 0, reopens: 0, probeInFlight: false, updatedAt: 0 }
      circuits.set(id, c)
    }
    return c
  }
  const stateOf = (c: Circuit, now: number): CircuitState =>
    c.state === 'closed' ? 'closed' : now >= c.openUntil ? 'half-open' : 'open'

  const toRecord = (id: string, c: Circuit, now: number): CircuitRecord => {
    const record: CircuitRecord = { partnershipId: id, state: stateOf(c, now), consecutiveFailures: c.failures, updatedAt: new Date(c.updatedAt).toISOString() }
    if (c.openedAt !== undefined) record.openedAt = new Date(c.openedAt).toISOString()
    if (c.state === 'open') record.openUntil = new Date(c.openUntil).toISOString()
    return record
  }

  const open = (id: string, c: Circuit, now: number): void => {
    const period = Math.min(policy.maxOpenMs, policy.openMs * 2 ** c.reopens)
    c.state = 'open'
    c.openedAt = now
    c.openUntil = now + period
    c.probeInFlight = false
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
      return [...circuits].filter(([, c]) => stateOf(c, t) === 'half-open' && !c.probeInFlight).map(([id]) => id)
    },

    admit (id, now) {
      const c = circuitOf(id)
      const state = stateOf(c, now.getTime())
      if (state === 'closed') return 'send'
      if (state === 'open' || c.probeInFlight) return 'deny'
      c.probeInFlight = true
      c.updatedAt = now.getTime()
      onChange(toRecord(id, c, now.getTime()))
      return 'probe'
    },

    record (id, admission, result, now) {
      const c = circuitOf(id)
      const t = now.getTime()
      if (admission === 'probe') {
        if (result === 'success') {
          c.state = 'closed'
          c.failures = 0
          c.reopens = 0
          c.probeInFlight = false
          c.updatedAt = t
          onChange(toRecord(id, c, t))
        } else {
          c.failures++
          c.reopens++
          open(id, c, t)
        }
        return
      }
      if (c.state !== 'closed') return
      if (result === 'success') {
        if (c.failures > 0) {
          c.failures = 0
          c.updatedAt = t
        }
        return
      }
      c.failures++
      c.updatedAt = t
      if (c.failures >= policy.failureThreshold) {
        c.reopens = 0
        open(id, c, t)
      }
    },

    retryAt (id, now) {
      const c = circuits.get(id)
      const t = now.getTime()
      if (c === undefined || c.state === 'closed') return now
      // a row denied while half-open waits a little for the probe's verdict
      return new Date(t < c.openUntil ? c.openUntil : t + Math.min(policy.openMs, 1_000))
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
        c.failures = r.consecutiveFailures
        c.openedAt = r.openedAt === undefined ? undefined : Date.parse(r.openedAt)
        // a recorded half-open circuit had its probe cut short: probe again at once
        c.openUntil = r.state === 'open' && r.openUntil !== undefined ? Date.parse(r.openUntil) : 0
        c.updatedAt = Date.parse(r.updatedAt)
      }
    }
  }
}
