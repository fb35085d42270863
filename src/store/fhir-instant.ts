/**
 * FHIR date/dateTime values as half-open ranges of UTC instants.
 *
 * The store keeps every instant as 'YYYY-MM-DDTHH:mm:ss.sssZ' (UTC, milliseconds), so plain
 * string comparison in SQL orders them correctly. Values arriving from a search or from a
 * caller may carry another offset or less precision; this module brings them to that form.
 */

/** The instants a FHIR date/dateTime value covers: start inclusive, end exclusive. */
export interface InstantRange {
  start: string
  end: string
}

/** A comparison prefix on a date search parameter, as the Store contract allows. */
export type DatePrefix = 'eq' | 'gt' | 'ge' | 'lt' | 'le'

/** Instant bounds a set of date comparisons reduces to: from inclusive, to exclusive. */
export interface InstantBounds {
  from?: string
  to?: string
}

// year, then optional -month, -day, Thh:mm, :ss, .fraction, and zone (Z or ±hh:mm)
const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?)?(Z|[+-]\d{2}:\d{2})?$/

const MS_PER_MINUTE = 60_000

/**
 * Parses a FHIR date or dateTime into the range of instants it denotes, following the
 * precision rule of FHIR search (R4 search.html#prefix): '2026-03-01' is the whole day,
 * '2026-03-01T10:00:00Z' the whole second, '2026-03-01T10:00:00.250Z' that millisecond.
 * A value without a zone is read as UTC (the gateway runs on UTC).
 *
 * @throws RangeError when the value is not a valid FHIR date/dateTime
 */
export function parseInstantRange (value: string): InstantRange {
  const m = DATE_TIME.exec(value)
  if (m === null) throw new RangeError(`not a FHIR date/dateTime: '${value}'`)
  const [, y, mo, d, h, mi, s, frac, zone] = m
  // a zone only makes sense after a time: '2026-03Z' is not a date
  if (zone !== undefined && h === undefined) throw new RangeError(`not a FHIR date/dateTime: '${value}'`)

  const year = Number(y)
  // Date.UTC reads years 0–99 as 1900–1999; no referral predates year 100 anyway
  if (year < 100) throw new RangeError(`year before 0100 not supported: '${value}'`)
  const month = mo === undefined ? 1 : Number(mo)
  const day = d === undefined ? 1 : Number(d)
  const hour = h === undefined ? 0 : Number(h)
  const minute = mi === undefined ? 0 : Number(mi)
  const second = s === undefined ? 0 : Number(s)
  // store precision is the millisecond: finer digits are cut, not rounded, so that the
  // instant stays inside the range the caller wrote
  const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'))
  const offsetMinutes = zone === undefined ? 0 : parseOffset(zone, value)

  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
    hour > 23 || minute > 59 || second > 59) {
    throw new RangeError(`not a FHIR date/dateTime: '${value}'`)
  }

  const startMs = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * MS_PER_MINUTE
  let endMs: number
  if (mo === undefined) endMs = Date.UTC(year + 1, 0, 1)
  else if (d === undefined) endMs = Date.UTC(year, month, 1)
  else if (h === undefined) endMs = Date.UTC(year, month - 1, day + 1)
  else if (s === undefined) endMs = startMs + MS_PER_MINUTE
  else if (frac === undefined) endMs = startMs + 1000
  else endMs = startMs + 10 ** Math.max(0, 3 - frac.length)
  return { start: toInstant(startMs), end: toInstant(endMs) }
}

/**
 * Brings an instant to the stored form 'YYYY-MM-DDTHH:mm:ss.sssZ' (the start of the range
 * it denotes, when given with less precision).
 *
 * @throws RangeError when the value is not a valid FHIR date/dateTime
 */
export function normaliseInstant (value: string): string {
  // already the stored form (the gateway's own instants come from toISOString): a Date round
  // trip that gives the same text proves it valid, at a fraction of the parse below
  if (STORED_FORM.test(value) && value >= '0100') {
    const ms = Date.parse(value)
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === value) return value
  }
  return parseInstantRange(value).start
}

const STORED_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/**
 * Reduces date comparisons to one inclusive lower and one exclusive upper bound on a stored
 * instant x, per FHIR search on a range: eq → start ≤ x < end, gt → x ≥ end, ge → x ≥ start,
 * lt → x < start, le → x < end. Several comparisons are ANDed, so the tightest bound wins.
 *
 * @throws RangeError when a value is not a valid FHIR date/dateTime
 */
export function instantBounds (comparisons: ReadonlyArray<{ prefix: DatePrefix, value: string }>): InstantBounds {
  const bounds: InstantBounds = {}
  const raiseFrom = (v: string): void => { if (bounds.from === undefined || v > bounds.from) bounds.from = v }
  const lowerTo = (v: string): void => { if (bounds.to === undefined || v < bounds.to) bounds.to = v }
  for (const { prefix, value } of comparisons) {
    const range = parseInstantRange(value)
    switch (prefix) {
      case 'eq': raiseFrom(range.start); lowerTo(range.end); break
      case 'gt': raiseFrom(range.end); break
      case 'ge': raiseFrom(range.start); break
      case 'lt': lowerTo(range.start); break
      case 'le': lowerTo(range.end); break
    }
  }
  return bounds
}

function parseOffset (zone: string, value: string): number {
  if (zone === 'Z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const hours = Number(zone.slice(1, 3))
  const minutes = Number(zone.slice(4, 6))
  if (hours > 14 || minutes > 59 || (hours === 14 && minutes > 0)) {
    throw new RangeError(`not a FHIR date/dateTime: '${value}'`)
  }
  return sign * (hours * 60 + minutes)
}

function daysInMonth (year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

function toInstant (ms: number): string {
  const iso = new Date(ms).toISOString()
  // years past 9999 come out as '+010000-…' and would break string ordering
  if (iso.length !== 24) throw new RangeError(`instant out of range: ${iso}`)
  return iso
}
