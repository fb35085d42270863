/** Settings of the per-partnership adaptive concurrency limit. */
export interface LimitPolicy {
  /** the limit a partnership starts at, and the most it grows to */
  max: number
  /** the least it shrinks to: a degraded partner still gets a trickle */
  min: number
  /** a window whose success rate is below this shrinks the limit (multiplicative decrease) */
  targetSuccessRate: number
  /** the factor of a decrease (TCP halves its window) */
  backoffRatio: number
  /** answers per window at least (a window is also at least the current limit) */
  minWindow: number
}

export const DEFAULT_LIMITS: Omit<LimitPolicy, 'max'> = { min: 1, targetSuccessRate: 0.3, backoffRatio: 0.5, minWindow: 10 }

/** Per-partnership limits on deliveries in flight. */
export interface ConcurrencyLimits {
  /** Free slots of a partnership now: its limit less what is in flight. */
  free: (partnershipId: string) => number
  /** The partnership's current limit. */
  limit: (partnershipId: string) => number
  acquire: (partnershipId: string) => void
  /**
   * Frees a slot. 'success': the partner answered (any status but 408, 429, 5xx); 'drop': a
   * 408, 429, 5xx, timeout or reset; 'ignore': nothing was sent (deferred, dead-lettered before
   * sending, a file drop).
   */
  release: (partnershipId: string, result: 'success' | 'drop' | 'ignore') => void
  /** Limit and in-flight count of every partnership seen. */
  snapshot: () => Array<{ partnershipId: string, limit: number, inFlight: number }>
}

interface Limit { limit: number, inFlight: number, answers: number, successes: number }

/**
 * AIMD (additive increase, multiplicative decrease) on each partner's success rate, window by
 * window, as TCP adjusts once per round trip rather than per packet: after each window of
 * answers (at least minWindow, and at least the current limit), a success rate at or above
 * targetSuccessRate adds one to the limit (when at least half of it was in use: otherwise there
 * is no evidence the partner can take more), a lower one multiplies it by backoffRatio, never
 * below min. So a partner that answers 40 % of calls keeps its concurrency and receives at the
 * rate its answers support, while one that answers almost nothing falls to a trickle before
 * the breaker (which opens only near 100 % failures) takes over. A per-drop decrease (Netflix
 * AIMDLimit) was tried first: at 60 % failures it held the limit at 2-4 and the partner was
 * starved. Latency is not used: a partner that hangs for seconds makes round-trip times noise.
 */
export function createConcurrencyLimits (policy: LimitPolicy): ConcurrencyLimits {
  const limits = new Map<string, Limit>()
  const of = (id: string): Limit => {
    let l = limits.get(id)
    if (l === undefined) {
      l = { limit: policy.max, inFlight: 0, answers: 0, successes: 0 }
      limits.set(id, l)
    }
    return l
  }
  return {
    free: (id) => { const l = of(id); return Math.max(0, Math.floor(l.limit) - l.inFlight) },
    limit: (id) => Math.floor(of(id).limit),
    acquire: (id) => { of(id).inFlight++ },
    release (id, result) {
      const l = of(id)
      const busy = l.inFlight >= l.limit / 2
      l.inFlight = Math.max(0, l.inFlight - 1)
      if (result === 'ignore') return
      l.answers++
      if (result === 'success') l.successes++
      if (l.answers < Math.max(policy.minWindow, Math.floor(l.limit))) return
      if (l.successes / l.answers >= policy.targetSuccessRate) {
        if (busy) l.limit = Math.min(policy.max, l.limit + 1)
      } else {
        l.limit = Math.max(policy.min, l.limit * policy.backoffRatio)
      }
      l.answers = 0
      l.successes = 0
    },
    snapshot: () => [...limits].map(([partnershipId, l]) => ({ partnershipId, limit: Math.floor(l.limit), inFlight: l.inFlight }))
  }
}

/**
 * What an attempt's outcome says about the partner's capacity: an answer is a success (even a
 * 4xx refusal), a 408/429/5xx, timeout or reset is a drop, and anything that never reached the
 * partner says nothing.
 */
export function limitSignal (s: { outcome: string, responseStatus?: number, error?: string }): 'success' | 'drop' | 'ignore' {
  switch (s.outcome) {
    case 'delivered':
      return s.responseStatus === undefined ? 'ignore' : 'success'
    case 'dead-letter':
      return s.responseStatus === undefined ? 'ignore' : 'success'
    case 'retry':
      if (s.responseStatus !== undefined) return 'drop'
      return /^(timeout|connection error) /.test(s.error ?? '') ? 'drop' : 'ignore'
    default:
      return 'ignore'
  }
}
