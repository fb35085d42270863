import type { Store } from './store.ts'
import type { ReferralRows } from './store-rows.ts'
import { ReferenceTakenError, RequestIdAlreadyDoneError } from './store-errors.ts'

/**
 * The Store methods that write. With the writer thread they run on its own connection, so the
 * event loop never waits for a COMMIT's fsync or another writer's lock; reads stay on the
 * main thread's connection (WAL: readers see every committed write and never block it).
 */
export const WRITE_METHODS = [
  'claimRequestId', 'releaseRequestId', 'saveReferral', 'appendAudit', 'updateTask',
  'claimDueDeliveries', 'settleDeliveries', 'replayDelivery', 'saveCircuit', 'prune'
] as const satisfies ReadonlyArray<keyof Store>

export type WriteMethod = typeof WRITE_METHODS[number]

/** main → writer; saveReferral travels flattened (store-rows.ts ReferralRows) */
export type WriterRequest =
  | { id: number, method: WriteMethod, args: unknown[] }
  | { id: number, method: 'saveReferralRows', args: [ReferralRows] }
  | { id: number, method: 'close' }

/** An error as it crosses the thread boundary; rebuilt into its class on the other side. */
export interface WireError {
  name: string
  message: string
  requestId?: string
  reference?: string
  code?: string
}

/** The answer to one WriterRequest. */
export type WriterReply =
  | { id: number, ok: true, value: unknown }
  | { id: number, ok: false, error: WireError }

/**
 * writer → main. Answers go in batches: one group commit settles many writes, and one
 * message for all of them saves the main thread a message event per referral.
 */
export type WriterResponse =
  | { ready: true }
  | { ready: false, error: WireError }
  | WriterReply[]

export function toWireError (err: unknown): WireError {
  if (err instanceof RequestIdAlreadyDoneError) return { name: err.name, message: err.message, requestId: err.requestId }
  if (err instanceof ReferenceTakenError) return { name: err.name, message: err.message, reference: err.reference }
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) }
  }
  return { name: 'Error', message: String(err) }
}

/** The error the store would have thrown on the main thread. */
export function fromWireError (wire: WireError): Error {
  if (wire.name === 'RequestIdAlreadyDoneError' && wire.requestId !== undefined) return new RequestIdAlreadyDoneError(wire.requestId)
  if (wire.name === 'ReferenceTakenError' && wire.reference !== undefined) return new ReferenceTakenError(wire.reference)
  const err = wire.name === 'TypeError' ? new TypeError(wire.message) : wire.name === 'RangeError' ? new RangeError(wire.message) : new Error(wire.message)
  if (wire.code !== undefined) Object.assign(err, { code: wire.code })
  return err
}
