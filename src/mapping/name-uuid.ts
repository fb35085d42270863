import { createHash } from 'node:crypto'

/** Namespace of the gateway's name-based UUIDs (a fixed random UUID, never to change). */
const NAMESPACE = Buffer.from('6f1c2b8e4d7a4e0b9c53a1f2e8d4b7c6', 'hex')

/**
 * A name-based (version 5, SHA-1) UUID, RFC 9562 §5.5. The same name always gives the same
 * UUID, so a referral mapped again (on retry or replay) yields byte-identical output.
 * @param name - any string unique to what the UUID identifies
 */
export function nameUuid (name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest()
  const b = hash.subarray(0, 16)
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80
  const hex = b.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
