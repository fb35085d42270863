/** The clock is passed in, never read from a global, so every decision can be tested at a fixed time. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }
