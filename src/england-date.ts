const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

/**
 * 01:00 UTC on the last Sunday of a month of 31 days (March, October): when UK summer time
 * starts and ends, The Summer Time Order 2002 (SI 2002/262), in force since 2002 and the rule
 * the UK has followed since 1996. Arithmetic on the epoch day (1 January 1970 was a Thursday),
 * with no Date made.
 */
function lastSundayOneAm (year: number, month: 2 | 9): number {
  const last = Date.UTC(year, month, 31)
  const weekday = (((Math.floor(last / DAY_MS) + 4) % 7) + 7) % 7
  return last - weekday * DAY_MS + HOUR_MS
}

/** YYYY-MM-DD of a UTC instant in years 0-9999 (days to civil date, after Howard Hinnant's algorithm). */
function utcDay (ms: number): string {
  const z = Math.floor(ms / DAY_MS) + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  return `${y < 1000 ? String(y).padStart(4, '0') : String(y)}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`
}

/**
 * The calendar date in England (Europe/London) of an instant, as YYYY-MM-DD. ICB changes take
 * effect at midnight UK time (1 April 2026 began at 23:00 UTC on 31 March, on BST) and ages
 * turn on the UK birthday, so dates are taken in England, not UTC.
 *
 * Worked out from the summer time rule rather than with Intl.DateTimeFormat: a referral takes
 * the England date up to six times and ICU's formatter cost ~5 µs a call, 3% of the event loop
 * under intake load (intake CPU profile; docs/decisions/england-date.md). The day itself is
 * worked out by arithmetic, not with a Date and its ISO string, which were a third of the
 * referral decision's time. test/unit/england-date.test.ts checks this against ICU's
 * Europe/London for every half hour of 1997-2040, so a change in the law shows up there.
 */
export function englandDate (on: Date): string {
  const ms = on.getTime()
  const year = on.getUTCFullYear()
  const summer = ms >= lastSundayOneAm(year, 2) && ms < lastSundayOneAm(year, 9)
  const local = summer ? ms + HOUR_MS : ms
  // outside years 0-9999 (and for an invalid Date, which throws) the ISO form decides, as before
  return year >= 0 && year <= 9998 ? utcDay(local) : new Date(local).toISOString().slice(0, 10)
}
