const HOUR_MS = 3_600_000

/**
 * 01:00 UTC on the last Sunday of a month: when UK summer time starts (March) and ends
 * (October), The Summer Time Order 2002 (SI 2002/262), in force since 2002 and the rule the
 * UK has followed since 1996.
 */
function lastSundayOneAm (year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0))
  return Date.UTC(year, month, lastDay.getUTCDate() - lastDay.getUTCDay(), 1)
}

/**
 * The calendar date in England (Europe/London) of an instant, as YYYY-MM-DD. ICB changes take
 * effect at midnight UK time (1 April 2026 began at 23:00 UTC on 31 March, on BST) and ages
 * turn on the UK birthday, so dates are taken in England, not UTC.
 *
 * Worked out from the summer time rule rather than with Intl.DateTimeFormat: a referral takes
 * the England date up to six times and ICU's formatter cost ~5 µs a call, 3% of the event loop
 * under intake load (intake CPU profile; docs/decisions/england-date.md). test/unit/england-date.test.ts checks this against ICU's
 * Europe/London for every half hour of 1997-2040, so a change in the law shows up there.
 */
export function englandDate (on: Date): string {
  const ms = on.getTime()
  const year = on.getUTCFullYear()
  const summer = ms >= lastSundayOneAm(year, 2) && ms < lastSundayOneAm(year, 9)
  return new Date(summer ? ms + HOUR_MS : ms).toISOString().slice(0, 10)
}
