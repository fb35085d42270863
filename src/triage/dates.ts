import { englandDate } from '../england-date.ts'

/** [year, month, day] of a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD, or a dateTime's date part). */
function parts (value: string): [number, number, number] | undefined {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T.*)?$/.exec(value)
  if (m === null) return undefined
  return [Number(m[1]), m[2] === undefined ? 1 : Number(m[2]), m[3] === undefined ? 1 : Number(m[3])]
}

/** Whole calendar months from one day to another, turning on the same day of the month. */
function wholeMonths (from: [number, number, number], to: [number, number, number]): number {
  let months = (to[0] - from[0]) * 12 + (to[1] - from[1])
  if (to[2] < from[2]) months -= 1
  return months
}

/**
 * Whole years between a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD) and a day in England; a partial
 * date counts from the start of its period. Someone born on 29 February comes of age on 1 March
 * in a common year.
 */
export function ageOn (birthDate: string, on: Date): number | undefined {
  if (!/^\d{4}(-\d{2}(-\d{2})?)?$/.test(birthDate)) return undefined
  const born = parts(birthDate)
  const today = parts(englandDate(on))
  if (born === undefined || today === undefined) return undefined
  return Math.floor(wholeMonths(born, today) / 12)
}

/**
 * Whole months out of work, from the date work stopped to the triage day in England. A date in
 * the future counts as 0; an unreadable date is undefined, so triage asks for it rather than
 * guessing (docs/hazard-log.md H2).
 */
export function monthsSince (date: string, on: Date): number | undefined {
  const from = parts(date)
  const today = parts(englandDate(on))
  if (from === undefined || today === undefined) return undefined
  return Math.max(0, wholeMonths(from, today))
}

/** Days from one FHIR date or dateTime to another (by calendar date), or undefined. */
export function daysBetween (start: string, end: string): number | undefined {
  const a = parts(start)
  const b = parts(end)
  if (a === undefined || b === undefined) return undefined
  return Math.round((Date.UTC(b[0], b[1] - 1, b[2]) - Date.UTC(a[0], a[1] - 1, a[2])) / 86_400_000)
}
