import { randomInt } from 'node:crypto'
import type { ServiceRequest } from '@medplum/fhirtypes'
import { WORKWELL_BASE } from '../fhir/systems.ts'

/** Identifier.system of the reference a GP reads to the patient (on the ServiceRequest and the Task). */
export const REFERRAL_REFERENCE_SYSTEM = `${WORKWELL_BASE}/Id/referral-reference`

/** The reference as an Identifier (on the ServiceRequest and the Task). */
export function referenceIdentifier (reference: string): { system: string, value: string } {
  return { system: REFERRAL_REFERENCE_SYSTEM, value: reference }
}

/** A ServiceRequest carrying the reference as its one identifier from this system. */
export function withReference (sr: ServiceRequest, reference: string): ServiceRequest {
  return { ...sr, identifier: [...(sr.identifier ?? []).filter((i) => i.system !== REFERRAL_REFERENCE_SYSTEM), referenceIdentifier(reference)] }
}

/** Crockford base32: digits and letters without I, L, O and U (no look-alikes, no accidental words). */
export const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

const DATA_SYMBOLS = 9
const DATA_BITS = DATA_SYMBOLS * 5 // 45
const COUNTER_BITS = 15
/** the epoch of the seconds in a reference: 2026-01-01T00:00:00Z; 30 bits of seconds last 34 years */
const EPOCH_S = 1_767_225_600
const HALF_BITS = 23
const HALF = 2 ** HALF_BITS
const DOMAIN = 2 ** DATA_BITS

/**
 * Luhn mod N over Crockford's 32 symbols: a check symbol from the same alphabet (so nothing
 * unusual is read aloud) that catches every single mistyped symbol and every transposition of
 * two neighbours but one pair (docs/referral-reference.md).
 */
export function checkSymbol (data: string): string {
  let sum = 0
  let factor = 2
  for (let i = data.length - 1; i >= 0; i--) {
    const v = CROCKFORD.indexOf(data[i] ?? '')
    if (v < 0) throw new Error('not a Crockford symbol')
    const addend = factor * v
    sum += Math.floor(addend / 32) + (addend % 32)
    factor = factor === 2 ? 1 : 2
  }
  return CROCKFORD[(32 - (sum % 32)) % 32] ?? '0'
}

/** A 23-bit round function: integer mixing of the half, the round number and the key. */
function round (half: number, r: number, key: number): number {
  let x = Math.imul(half ^ (r * 0x9e3779b1) ^ Math.imul(key, r + 1), 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return (x >>> 0) % HALF
}

/**
 * A permutation of 0 … 2^45−1, one per key: a four-round Feistel network on 46 bits, walked
 * until the value falls back inside 45 bits (cycle walking keeps it a bijection). Consecutive
 * counters then give references that look nothing alike, so two referrals made a second
 * apart are not one misheard symbol apart, and a reference shows neither time nor volume.
 * @param key - 32 bits; each gateway process draws its own (referenceGenerator)
 */
export function permute (n: number, key = 0): number {
  let v = n
  do {
    let left = Math.floor(v / HALF)
    let right = v % HALF
    for (let r = 0; r < 4; r++) {
      const next = (left ^ round(right, r, key)) % HALF
      left = right
      right = next
    }
    v = left * HALF + right
  } while (v >= DOMAIN)
  return v
}

function encode (n: number): string {
  let out = ''
  let v = n
  for (let i = 0; i < DATA_SYMBOLS; i++) {
    out = (CROCKFORD[v % 32] ?? '0') + out
    v = Math.floor(v / 32)
  }
  return out
}

/** `WW-XXXXX-XXXXX`: nine data symbols and the check symbol, in two groups of five. */
export function formatReference (n: number, key = 0): string {
  const data = encode(permute(n, key))
  const all = data + checkSymbol(data)
  return `WW-${all.slice(0, 5)}-${all.slice(5)}`
}

/**
 * Makes a reference generator. Each value is the seconds since 2026 times 2^15 plus a
 * counter, and never less than the one before plus one: strictly increasing, so one
 * generator never repeats a value (by construction, not by chance), up to 32 768 a second
 * before it borrows from the next second. The permutation is a bijection, so distinct
 * values are distinct references. Each generator permutes with its own random key: two
 * processes sharing one store count the same values in the same second, and without the
 * key they would give out the same references in step; with it their references meet only
 * by chance (about 2^-45 a pair), and the store's unique index turns that chance into a
 * retry (docs/referral-reference.md).
 * @param nowMs - the wall clock (injected for tests)
 * @param key - the permutation key (injected for tests)
 */
export function referenceGenerator (nowMs: () => number = Date.now, key: number = randomInt(2 ** 32 - 1)): () => string {
  let last = -1
  return () => {
    const seconds = Math.max(0, Math.floor(nowMs() / 1000) - EPOCH_S)
    const value = Math.max(last + 1, seconds * 2 ** COUNTER_BITS)
    if (value >= DOMAIN) throw new Error('referral reference space exhausted')
    last = value
    return formatReference(value, key)
  }
}

/**
 * A reference as a person typed or read it, in the form the gateway writes: upper case,
 * spaces and hyphens ignored, O read as 0 and I or L as 1 (Crockford decoding), the WW
 * prefix optional; undefined unless the check symbol holds.
 */
export function normaliseReference (typed: string): string | undefined {
  let s = typed.toUpperCase().replace(/[\s-]/g, '')
  if (s.length === 12 && s.startsWith('WW')) s = s.slice(2)
  s = s.replace(/O/g, '0').replace(/[IL]/g, '1')
  if (s.length !== DATA_SYMBOLS + 1 || [...s].some((c) => !CROCKFORD.includes(c))) return undefined
  const data = s.slice(0, DATA_SYMBOLS)
  if (checkSymbol(data) !== s.slice(DATA_SYMBOLS)) return undefined
  return `WW-${s.slice(0, 5)}-${s.slice(5)}`
}
