/**
 * The formatter is built once: `toLocaleDateString` builds a new Intl.DateTimeFormat (locale
 * and time-zone data from ICU) on every call, ~90 µs, and a referral takes the England date
 * up to six times (bench/intake.ts, README "Performance"). An Intl.DateTimeFormat is immutable
 * and holds no state between calls, so sharing it is like sharing a RegExp literal: not a
 * singleton in the style guide's sense (no mutable or per-app state). 'en-CA' writes YYYY-MM-DD;
 * with no date fields given it uses the same defaults as `toLocaleDateString`.
 */
const ENGLAND_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' })

/**
 * The calendar date in England (Europe/London) of an instant, as YYYY-MM-DD. ICB changes take
 * effect at midnight UK time (1 April 2026 began at 23:00 UTC on 31 March, on BST) and ages
 * turn on the UK birthday, so dates are taken in England, not UTC.
 */
export function englandDate (on: Date): string {
  return ENGLAND_DAY.format(on)
}
