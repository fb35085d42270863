/** How long to wait before retrying a delivery. */
export interface BackoffPolicy {
  baseMs: number
  factor: number
  capMs: number
}

/** 1 s, doubling, capped at 10 minutes. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, factor: 2, capMs: 10 * 60_000 }

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base·factor^(n−1))).
 * Full jitter spreads the retries of many referrals that failed together (a partner outage)
 * instead of sending them back in waves (AWS Architecture Blog, "Exponential Backoff And
 * Jitter", 2015).
 * @param attempt - the attempt that just failed, counting from 1
 * @param random - uniform in [0, 1), injected so tests are deterministic
 * @param policy - base, factor and cap
 * @returns milliseconds to wait, a whole number
 */
export function backoffDelayMs (attempt: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.max(0, attempt - 1)
  // for a huge attempt count the power is Infinity and min() still gives the cap
  const ceiling = Math.min(policy.capMs, policy.baseMs * policy.factor ** exponent)
  return Math.floor(random() * ceiling)
}
