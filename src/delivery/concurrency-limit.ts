/** Settings of the per-partnership adaptive concurrency limit. */
export interface LimitPolicy {
  /** the limit a partnership starts at, and the most it grows to */
  max: number
  /** the least it shrinks to: a degraded partner still gets a trickle */
  min: number
  /** on a drop the limit becomes ⌊limit × backoffRatio⌋ (Netflix AIMDLimit: 0.9) */
  backoffRatio: number
}

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

/**
 * AIMD (additive increase, multiplicative decrease) on each partner's answers, as TCP does on
 * loss (Netflix concurrency-limits' AIMDLimit): every answer adds one to the limit (while at least half of it is in use, else there is
 * no evidence the partner can take more), every drop multiplies it by backoffRatio, never below
 * min. A partner that fails 60 % of calls settles near the limit its successes support instead
 * of being cut off, and one that recovers is back at max within a few dozen answers. Latency is
 * not used: a partner that hangs for seconds makes round-trip times noise.
 */
export function createConcurrencyLimits (policy: LimitPolicy): ConcurrencyLimits {
  const limits = new Map<string, { limit: number, inFlight: number }>()
  const of = (id: string): { limit: number, inFlight: number } => {
    let l = limits.get(id)
    if (l === undefined) {
      l = { limit: policy.max, inFlight: 0 }
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
      if (result === 'success' && busy) l.limit = Math.min(policy.max, l.limit + 1)
      // kept fractional, so a small limit shrinks by a tenth rather than a whole slot per drop
      else if (result === 'drop') l.limit = Math.max(policy.min, l.limit * policy.backoffRatio)
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
