/**
 * The calendar date in England (Europe/London) of an instant, as YYYY-MM-DD. ICB changes take
 * effect at midnight UK time (1 April 2026 began at 23:00 UTC on 31 March, on BST) and ages
 * turn on the UK birthday, so dates are taken in England, not UTC.
 */
export function englandDate (on: Date): string {
  return on.toLocaleDateString('en-CA', { timeZone: 'Europe/London' })
}
