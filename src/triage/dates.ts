import { englandDate } from '../england-date.ts'

type Day = [number, number, number]

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/

/** The first and last day a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD) or dateTime can mean. */
function span (value: string): { first: Day, last: Day } | undefined {
  if (DATE_TIME.test(value)) {
    // A dateTime is an instant: its day is the day in England, not the literal date part
    // (23:30Z on 19 June is 20 June in London; docs/hazard-log.md H8).
    const instant = new Date(value)
    if (Number.isNaN(instant.getTime())) return undefined
    const day = dayOf(englandDate(instant))
    return day === undefined ? undefined : { first: day, last: day }
  }
  const m = DATE.exec(value)
  if (m === null) return undefined
  const y = Number(m[1])
  if (m[2] === undefined) return { first: [y, 1, 1], last: [y, 12, 31] }
  const mo = Number(m[2])
  if (mo < 1 || mo > 12) return undefined
  const monthEnd = new Date(Date.UTC(y, mo, 0)).getUTCDate()
  if (m[3] === undefined) return { first: [y, mo, 1], last: [y, mo, monthEnd] }
  const d = Number(m[3])
  if (d < 1 || d > monthEnd) return undefined
  return { first: [y, mo, d], last: [y, mo, d] }
}

function dayOf (ymd: string): Day | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd)
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])]
}

/** Whole calendar months from one day to another, turning on the same day of the month. */
function wholeMonths (from: Day, to: Day): number {
  let months = (to[0] - from[0]) * 12 + (to[1] - from[1])
  if (to[2] < from[2]) months -= 1
  return months
}

/** Today in England: the triage day, whatever the server's time zone (docs/hazard-log.md H8). */
function today (on: Date): Day {
  const day = dayOf(englandDate(on))
  if (day === undefined) throw new Error(`cannot read the England date of ${on.toISOString()}`)
  return day
}

/** The least and most a partial value can be; equal for a full date. */
export interface Range { least: number, most: number }

/**
 * Age in whole years on a day in England, for a FHIR date of birth (YYYY, YYYY-MM or
 * YYYY-MM-DD): the least and most it can be when the date is partial. Someone born on 29
 * February comes of age on 1 March in a common year. Undefined for anything else, so triage
 * asks for the date rather than guessing (docs/hazard-log.md H6).
 */
export function ageRange (birthDate: string, on: Date): Range | undefined {
  if (!DATE.test(birthDate)) return undefined
  const born = span(birthDate)
  if (born === undefined) return undefined
  const now = today(on)
  return { least: Math.floor(wholeMonths(born.last, now) / 12), most: Math.floor(wholeMonths(born.first, now) / 12) }
}

/** Whole years between a FHIR date of birth and a day in England; a partial date counts from the start of its period. */
export function ageOn (birthDate: string, on: Date): number | undefined {
  return ageRange(birthDate, on)?.most
}

/**
 * Whole months out of work, from the date work stopped to the triage day in England: the least
 * and most it can be when the date is partial. A date in the future counts as 0; an unreadable
 * date is undefined, so triage asks for it rather than guessing (docs/hazard-log.md H2).
 */
export function monthsRange (date: string, on: Date): Range | undefined {
  const stopped = span(date)
  if (stopped === undefined) return undefined
  const now = today(on)
  return { least: Math.max(0, wholeMonths(stopped.last, now)), most: Math.max(0, wholeMonths(stopped.first, now)) }
}

/** Whole months out of work counted from the start of a partial date (see monthsRange). */
export function monthsSince (date: string, on: Date): number | undefined {
  return monthsRange(date, on)?.most
}

/**
 * Days from one full FHIR date or dateTime to another, by calendar day in England. Undefined
 * when either is partial or unreadable, or the period ends before it starts: a fit-note period
 * that cannot be read must not be given a length (docs/hazard-log.md H7).
 */
export function daysBetween (start: string, end: string): number | undefined {
  const a = span(start)
  const b = span(end)
  const full = (s: { first: Day, last: Day } | undefined): s is { first: Day, last: Day } => s !== undefined && s.first.join() === s.last.join()
  if (!full(a) || !full(b)) return undefined
  const days = Math.round((Date.UTC(b.first[0], b.first[1] - 1, b.first[2]) - Date.UTC(a.first[0], a.first[1] - 1, a.first[2])) / 86_400_000)
  return days < 0 ? undefined : days
}

const ymd = (d: Day): string => `${String(d[0]).padStart(4, '0')}-${String(d[1]).padStart(2, '0')}-${String(d[2]).padStart(2, '0')}`

/** The first and last England day (YYYY-MM-DD) a FHIR date or dateTime can mean, or undefined. */
export function dayBounds (value: string): { first: string, last: string } | undefined {
  const s = span(value)
  return s === undefined ? undefined : { first: ymd(s.first), last: ymd(s.last) }
}
