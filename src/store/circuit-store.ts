/** Each partnership's circuit-breaker state as a worker last recorded it, shared by every instance. */
export interface CircuitStore {
  /** Upserts a partnership's circuit-breaker state, so operators (and other processes) can see it. */
  saveCircuit(circuit: CircuitRecord): Promise<void>
  listCircuits(): Promise<CircuitRecord[]>
}

export type CircuitState = 'closed' | 'open' | 'half-open'

/** A partnership's circuit breaker as last recorded by a worker. */
export interface CircuitRecord {
  partnershipId: string
  state: CircuitState
  /** failures in the breaker's sliding window (named when the breaker counted consecutive failures) */
  consecutiveFailures: number
  /** when the circuit last opened */
  openedAt?: string
  /** while open: when a single probe will be let through */
  openUntil?: string
  updatedAt: string
}
