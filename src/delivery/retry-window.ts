import type { BackoffPolicy } from './backoff.ts'
import { backoffDelayMs } from './backoff.ts'

/**
 * Five days: how long NHS MESH keeps a message nobody downloaded before it reports it
 * undelivered. A referral is retried this long by default (docs/delivery-retries.md).
 */
export const DEFAULT_RETRY_WINDOW_MS = 5 * 24 * 3_600_000

/** What decides a failed attempt's fate. */
export interface RetryFacts {
  /** when the row was queued: the window runs from here */
  createdAt: Date
  now: Date
  /** the attempt that just failed, from 1 */
  attempt: number
  windowMs: number
  /** the partner's Retry-After, in ms, when it sent one */
  retryAfterMs?: number
  /** the breaker sees the partner down (circuit not closed) */
  partnerDown: boolean
  /** the probe interval of an open circuit */
  probeIntervalMs: number
  backoff: BackoffPolicy
  random: () => number
}

export type RetryDecision =
  | { kind: 'retry', at: Date, delayMs: number }
  | { kind: 'give-up', reason: string }

/**
 * Retry by time, not by count: a failed row is retried with capped, jittered backoff until its
 * retry window ends, and is a dead letter only then, and only if the partner was seen up; an
 * outage the breaker saw never dead-letters a referral (the circuit-open alert tells the
 * operator instead, and the rows go as soon as the partner is back). While the partner is down,
 * a delay is capped at the probe interval, so every row is due again by the time a probe finds
 * the partner back, and the backlog drains at once instead of over the backoff cap.
 * A partner's Retry-After wins when it asks for longer, up to the backoff cap.
 */
export function decideRetry (f: RetryFacts): RetryDecision {
  const now = f.now.getTime()
  const end = f.createdAt.getTime() + f.windowMs
  if (now >= end && !f.partnerDown) {
    return { kind: 'give-up', reason: `retry window of ${formatWindow(f.windowMs)} ended` }
  }
  const cap = f.partnerDown ? Math.min(f.backoff.capMs, f.probeIntervalMs) : f.backoff.capMs
  const backoff = backoffDelayMs(f.attempt, f.random, { ...f.backoff, capMs: cap })
  let delayMs = Math.max(backoff, Math.min(f.retryAfterMs ?? 0, f.backoff.capMs))
  // the last try falls on the window's end rather than after it
  if (now < end) delayMs = Math.min(delayMs, end - now)
  return { kind: 'retry', at: new Date(now + delayMs), delayMs }
}

function formatWindow (ms: number): string {
  const hours = ms / 3_600_000
  return hours >= 24 && Number.isInteger(hours / 24) ? `${hours / 24} day(s)` : `${Math.round(hours * 100) / 100} hour(s)`
}
