import { Pool } from 'undici'
import type { Dispatcher } from 'undici'
import { describeSendError } from './outcome.ts'
import { summariseRejection } from './rejection.ts'

/** Settings of the outbound HTTP client. */
export interface PartnerClientOptions {
  /** limit for the response headers, between body chunks, and for the whole attempt */
  requestTimeoutMs: number
  /** limit for the TCP (and TLS) connect */
  connectTimeoutMs: number
  /** sockets in each partnership's Pool */
  connections: number
  /** used for every request instead of the per-partnership Pools (tests inject one); not closed by close() */
  dispatcher?: Dispatcher
}

/** One mapped referral to POST. */
export interface OutboundDelivery {
  partnershipId: string
  endpoint: string
  contentType: string
  body: string
  /** the outbox row id: sent as Idempotency-Key and X-Request-Id */
  deliveryId: string
  /** extra headers, e.g. the signature */
  headers?: Record<string, string>
}

/** The partner's HTTP answer, or why none came back. */
export type SendResult =
  | {
    kind: 'response'
    status: number
    /** the Retry-After header, when the partner sent one */
    retryAfter?: string
    /** for a 4xx: the coded part of the partner's reason (never its free text) */
    reason?: string
  }
  | { kind: 'failure', error: string, retryable: boolean }

/** POSTs mapped referrals to partnerships. */
export interface PartnerClient {
  send: (delivery: OutboundDelivery) => Promise<SendResult>
  /** Closes the Pools it created, after their requests finish. */
  close: () => Promise<void>
}

/** The most of a 4xx body read to find its reason; the rest is discarded. */
const REJECTION_BODY_LIMIT = 64 * 1024

/**
 * Creates the delivery HTTP client: one undici Pool per partnership, created on first use,
 * with explicit connect, header and body timeouts because undici's multi-minute defaults
 * would hold deliveries far beyond any SLA. Retrying is the worker's job, durably, so the
 * Pool does none. Never throws from send(): every failure is a SendResult.
 * @param options - timeouts, pool size and an optional injected dispatcher
 */
export function createPartnerClient (options: PartnerClientOptions): PartnerClient {
  const timeout = options.requestTimeoutMs
  const pools = new Map<string, Pool>()

  const dispatcherFor = (partnershipId: string, origin: string): Dispatcher => {
    if (options.dispatcher !== undefined) {
      return options.dispatcher
    }
    // keyed by origin too, in case a partnership's endpoint is ever changed at run time
    const key = `${partnershipId} ${origin}`
    let pool = pools.get(key)
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: options.connections,
        connect: { timeout: options.connectTimeoutMs },
        headersTimeout: timeout,
        bodyTimeout: timeout,
        keepAliveTimeout: 4_000,
        // partners' case systems are plain HTTP/1.1 APIs; undici 8 would otherwise negotiate h2
        allowH2: false
      })
      pools.set(key, pool)
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
        const response = await dispatcherFor(delivery.partnershipId, url.origin).request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: {
            ...delivery.headers,
            'content-type': delivery.contentType,
            // the same key on every attempt lets the partner drop the duplicates that
            // at-least-once delivery produces (a timeout after the partner stored it)
            'idempotency-key': delivery.deliveryId,
            'x-request-id': delivery.deliveryId
          },
          body: delivery.body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          // the Pool's timeouts do not cover time queued for a socket; this bounds the whole attempt
          signal: AbortSignal.timeout(timeout)
        })
        const status = response.statusCode
        const result: SendResult = { kind: 'response', status }
        const retryAfter = response.headers['retry-after']
        if (retryAfter !== undefined) {
          result.retryAfter = Array.isArray(retryAfter) ? (retryAfter[0] ?? '') : retryAfter
        }
        if (status >= 400 && status < 500) {
          const reason = summariseRejection(headerText(response.headers['content-type']), await readLimited(response.body))
          if (reason !== undefined) result.reason = reason
        } else {
          // the body is not used, but an unread body would hold the socket (undici docs)
          await response.body.dump().catch(() => undefined)
        }
        return result
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

function headerText (value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? ''
}

/** Reads up to REJECTION_BODY_LIMIT bytes; a failure to read just means no reason. */
async function readLimited (body: AsyncIterable<Buffer> & { destroy: () => unknown }): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of body) {
      chunks.push(chunk)
      size += chunk.length
      if (size >= REJECTION_BODY_LIMIT) {
        body.destroy()
        break
      }
    }
  } catch {
    return ''
  }
  return Buffer.concat(chunks).subarray(0, REJECTION_BODY_LIMIT).toString('utf8')
}
