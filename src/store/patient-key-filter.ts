/**
 * Which patient keys this SQLite instance may have stored: a Bloom filter, so that the
 * duplicate lookup of a person never referred before (almost every referral) needs no read.
 * The threaded store reads on a connection of its own, and every commit by the writer thread
 * empties that connection's page cache, so each lookup re-read the index from the WAL: about
 * 130 µs of the event loop per referral, the largest single cost on it (docs/performance.md).
 *
 * A Bloom filter answers "certainly not" or "maybe"; only "maybe" goes to the database, which
 * stays the one answer. Its memory is fixed: two generations of {@link BITS} bits each. When
 * the current one has taken {@link CAPACITY} keys it becomes the previous one and the older is
 * dropped; the newest acceptance instant it held is remembered, and any lookup reaching back
 * that far goes to the database. Keys stored before the filter was filled (older than the
 * instant it was filled from) are treated the same way. It is sound only while this process
 * is the one writing patient keys to the file, which is how the SQLite store is deployed (one
 * instance; PostgreSQL for several).
 */

/** Bits per generation (4 MiB); with CAPACITY keys and 4 probes, about 2 in 1 000 lookups are a false "maybe" per generation. */
export const BITS = 2 ** 25
/** Keys a generation takes before it is rotated out. */
export const CAPACITY = 2_000_000
const PROBES = 4

interface Generation { bits: Uint32Array, count: number, newest: string }

/** The filter; `knownFrom` is the earliest acceptance instant (normalised) it was filled from. */
export interface PatientKeyFilter {
  /** records a key stored now (accepted at the normalised instant given) */
  add(key: string, acceptedAt: string): void
  /** false only when no key accepted at or after `since` (normalised) can be this one */
  mayHave(key: string, since: string): boolean
}

/**
 * A new filter, empty; everything accepted before `knownFrom` is sent to the database.
 * `capacity` and `bits` are for tests.
 */
export function patientKeyFilter (knownFrom: string, capacity = CAPACITY, bits = BITS): PatientKeyFilter {
  const words = bits >>> 5
  const fresh = (): Generation => ({ bits: new Uint32Array(words), count: 0, newest: '' })
  let current = fresh()
  let previous: Generation | undefined
  // lookups reaching back to or before this instant cannot be answered "no"
  let forgottenUpTo = knownFrom
  let forgottenInclusive = false

  const positions = (key: string): number[] => {
    // two FNV-1a hashes, combined for the probes (Kirsch and Mitzenmacher's double hashing)
    let h1 = 0x811c9dc5
    let h2 = 0x01000193 ^ key.length
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i)
      h1 = Math.imul(h1 ^ c, 0x01000193)
      h2 = Math.imul(h2 ^ c, 0x5bd1e995)
    }
    h2 = (h2 ^ (h2 >>> 15)) | 1
    const out: number[] = []
    for (let p = 0; p < PROBES; p++) out.push(((h1 + Math.imul(p, h2)) >>> 0) % bits)
    return out
  }
  const has = (g: Generation, at: readonly number[]): boolean => at.every((b) => ((g.bits[b >>> 5] ?? 0) & (1 << (b & 31))) !== 0)

  return {
    add (key, acceptedAt) {
      if (current.count >= capacity) {
        if (previous !== undefined && previous.newest !== '') {
          forgottenUpTo = previous.newest > forgottenUpTo ? previous.newest : forgottenUpTo
          forgottenInclusive = true
        }
        previous = current
        current = fresh()
      }
      for (const b of positions(key)) current.bits[b >>> 5] = (current.bits[b >>> 5] ?? 0) | (1 << (b & 31))
      current.count++
      if (acceptedAt > current.newest) current.newest = acceptedAt
    },
    mayHave (key, since) {
      if (since < forgottenUpTo || (forgottenInclusive && since === forgottenUpTo)) return true
      const at = positions(key)
      return has(current, at) || (previous !== undefined && has(previous, at))
    }
  }
}
