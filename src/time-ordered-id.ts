import { randomFillSync } from 'node:crypto'

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * Makes a UUID version 7 generator (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74
 * random bits. Ids made close in time sort together, so each new row lands at the right-hand
 * end of every B-tree keyed by id instead of on a random page: with random (v4) ids a group
 * commit of 100 referrals dirtied a leaf page per row per index, and the WAL writes and
 * checkpoints of those pages were most of the SQLite writer's time (intake CPU profile; docs/decisions/time-ordered-ids.md).
 * An id then shows when it was made (RFC 9562 §8); a resource's meta.lastUpdated shows the same
 * to anyone who can read it, and ids are never used as secrets here (access is by token).
 *
 * @param now - the wall clock in milliseconds (injected for tests)
 */
export function timeOrderedIds (now: () => number = Date.now): () => string {
  // random bytes fetched 4 KiB at a time: one getrandom call per 409 ids
  const pool = Buffer.alloc(4096)
  let at = pool.length
  return () => {
    if (at + 10 > pool.length) {
      randomFillSync(pool)
      at = 0
    }
    const ms = now()
    const hi = Math.floor(ms / 0x1000000) // top 24 of the 48 bits
    const lo = ms % 0x1000000
    const r = pool
    const h = HEX
    const id = h[(hi >>> 16) & 0xff]! + h[(hi >>> 8) & 0xff]! + h[hi & 0xff]! + h[(lo >>> 16) & 0xff]! + '-' +
      h[(lo >>> 8) & 0xff]! + h[lo & 0xff]! + '-' +
      h[0x70 | (r[at]! & 0x0f)]! + h[r[at + 1]!]! + '-' +
      h[0x80 | (r[at + 2]! & 0x3f)]! + h[r[at + 3]!]! + '-' +
      h[r[at + 4]!]! + h[r[at + 5]!]! + h[r[at + 6]!]! + h[r[at + 7]!]! + h[r[at + 8]!]! + h[r[at + 9]!]!
    at += 10
    return id
  }
}
