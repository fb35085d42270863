import { Pool, request } from 'undici'
import type { Dispatcher } from 'undici'
import { describeSendError } from './outcome.ts'

/** Settings of the outbound HTTP client. */
export interface PartnerClientOptions {
  /** the limit for connecting, for the response headers, between body chunks, and overall */
  requestTimeoutMs: number
  /** sockets per partnership origin; the worker passes its batch size so a batch never queues */
  connections: number
  /** used for every request instead of the per-origin Pools (tests inject one); not closed by close() */
  dispatcher?: Dispatcher
}

/** One mapped referral to POST. */
export interface OutboundDelivery {
  endpoint: string
  contentType: string
  body: string
  /** the outbox row id: sent as Idempotency-Key and X-Request-Id */
  deliveryId: string
}

/** The partner's HTTP status, or why no status came back. */
export type SendResult =
  | { kind: 'response', status: number }
  | { kind: 'failure', error: string, retryable: boolean }

/** POSTs mapped referrals to partnerships. */
export interface PartnerClient {
  send: (delivery: OutboundDelivery) => Promise<SendResult>
  /** Closes the Pools it created, after their requests finish. */
  close: () => Promise<void>
}

/**
 * Creates the delivery HTTP client: one undici Pool per partnership origin, created on first
 * use, with explicit timeouts because undici's multi-minute defaults would hold a worker
 * batch far beyond any delivery SLA. Never throws from send(): every failure is a SendResult.
 * @param options - timeouts, pool size and an optional injected dispatcher
 */
export function createPartnerClient (options: PartnerClientOptions): PartnerClient {
  const timeout = options.requestTimeoutMs
  const pools = new Map<string, Pool>()

  const dispatcherFor = (origin: string): Dispatcher => {
    if (options.dispatcher !== undefined) {
      return options.dispatcher
    }
    let pool = pools.get(origin)
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: options.connections,
        connect: { timeout },
        headersTimeout: timeout,
        bodyTimeout: timeout,
        keepAliveTimeout: 4_000,
        // partners' case systems are plain HTTP/1.1 APIs; undici 8 would otherwise negotiate h2
        allowH2: false
      })
      pools.set(origin, pool)
    }
    return pool
  }

  return {
    async send (delivery) {
      let url: URL
      try {
        url = new URL(delivery.endpoint)
      } catch {
        return { kind: 'failure', error: 'invalid endpoint URL', retryable: false }
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        return { kind: 'failure', error: `unsupported endpoint scheme ${url.protocol}`, retryable: false }
      }
      try {
        const response = await request(url, {
          dispatcher: dispatcherFor(url.origin),
          method: 'POST',
          headers: {
            'content-type': delivery.contentType,
            // the same key on every attempt lets the partner drop the duplicates that
            // at-least-once delivery produces (a timeout after the partner stored it)
            'idempotency-key': delivery.deliveryId,
            'x-request-id': delivery.deliveryId
          },
          body: delivery.body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: AbortSignal.timeout(timeout)
        })
        // the body is never used, but an unread body would hold the socket (undici docs)
        await response.body.dump().catch(() => undefined)
        return { kind: 'response', status: response.statusCode }
      } catch (err) {
        return { kind: 'failure', error: describeSendError(err), retryable: true }
      }
    },

    async close () {
      const closing = [...pools.values()].map(async (pool) => { await pool.close() })
      pools.clear()
      await Promise.all(closing)
    }
  }
}
