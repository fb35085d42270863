import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createSigner, signatureFor, verifySignature } from '../../../src/delivery/signature.ts'

const SECRET = 'k'.repeat(40)
const NOW = new Date('2026-11-20T10:00:00.000Z')
const T = NOW.getTime() / 1000

describe('delivery signatures', () => {
  it('is HMAC-SHA256 over "<t>.<body>", as a partner would compute it', () => {
    const mac = createHmac('sha256', SECRET).update(`${T}.{"a":1}`).digest('hex')
    expect(signatureFor(SECRET, '{"a":1}', T)).toBe(`t=${T},v1=${mac}`)
  })

  it('verifies the body, the secret and the time window', () => {
    const header = signatureFor(SECRET, 'body', T)
    expect(verifySignature(header, 'body', SECRET, NOW)).toBe(true)
    expect(verifySignature(header, 'body!', SECRET, NOW)).toBe(false)
    expect(verifySignature(header, 'body', 'x'.repeat(40), NOW)).toBe(false)
    expect(verifySignature(header, 'body', SECRET, new Date(NOW.getTime() + 301_000))).toBe(false)
    expect(verifySignature(undefined, 'body', SECRET, NOW)).toBe(false)
    expect(verifySignature('v1=abc', 'body', SECRET, NOW)).toBe(false)
  })

  it('signs per partnership; without a secret returns nothing and warns once', () => {
    const warnings: Array<Record<string, unknown>> = []
    const signer = createSigner({ frimley: SECRET }, { info: () => undefined, error: () => undefined, warn: (obj) => { warnings.push(obj) } })
    expect(signer.sign('frimley', 'b', NOW)).toBe(signatureFor(SECRET, 'b', T))
    expect(signer.sign('black-country', 'b', NOW)).toBeUndefined()
    expect(signer.sign('black-country', 'c', NOW)).toBeUndefined()
    expect(warnings).toEqual([{ partnershipId: 'black-country', variable: 'WORKWELL_PARTNER_SECRET_BLACK_COUNTRY' }])
  })
})
