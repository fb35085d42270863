import { createHmac, timingSafeEqual } from 'node:crypto'
import type { DeliveryLogger } from './delivery-logger.ts'

/** The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>` (Stripe-style). */
export const SIGNATURE_HEADER = 'x-workwell-signature'

/** Signs outbound deliveries per partnership. */
export interface DeliverySigner {
  /**
   * The signature header value for a body, or undefined when the partnership has no secret
   * (development): the delivery goes unsigned and a warning is logged once per partnership.
   */
  sign: (partnershipId: string, body: string, now: Date) => string | undefined
}

/**
 * HMAC-SHA256 over `${t}.${body}`, where t is the Unix time in seconds. Putting the time
 * inside the MAC lets a partner refuse replays of an old delivery (check |now − t| is small)
 * without a second header the signature does not cover.
 * @param secret - the partnership's shared key
 * @param body - the exact bytes sent
 * @param unixSeconds - the signing time
 */
export function signatureFor (secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex')
  return `t=${unixSeconds},v1=${mac}`
}

/**
 * Checks a signature header as a partner would (used by tests and the partner guide).
 * @param header - the X-WorkWell-Signature value
 * @param body - the received body
 * @param secret - the shared key
 * @param now - the receiver's clock
 * @param toleranceSeconds - largest accepted clock difference
 */
export function verifySignature (header: string | undefined, body: string, secret: string, now: Date, toleranceSeconds = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '')
  if (m?.[1] === undefined || m[2] === undefined) {
    return false
  }
  const t = Number(m[1])
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) {
    return false
  }
  const expected = Buffer.from(signatureFor(secret, body, t).slice(-64), 'hex')
  return timingSafeEqual(expected, Buffer.from(m[2], 'hex'))
}

/**
 * Creates the signer. A partnership without a secret is delivered unsigned rather than
 * signed with a made-up key its system could not know: a generated key would only look
 * secure. The warning names the variable to set, never a secret.
 * @param secrets - partnership id → secret (from WORKWELL_PARTNER_SECRET_<ID>)
 * @param logger - where the one-off warning goes
 */
export function createSigner (secrets: Readonly<Record<string, string>>, logger: DeliveryLogger): DeliverySigner {
  const warned = new Set<string>()
  return {
    sign (partnershipId, body, now) {
      const secret = secrets[partnershipId]
      if (secret === undefined) {
        if (!warned.has(partnershipId)) {
          warned.add(partnershipId)
          const variable = `WORKWELL_PARTNER_SECRET_${partnershipId.toUpperCase().replaceAll('-', '_')}`
          logger.warn({ partnershipId, variable }, 'no signing secret configured: deliveries to this partnership are unsigned')
        }
        return undefined
      }
      return signatureFor(secret, body, Math.floor(now.getTime() / 1000))
    }
  }
}
