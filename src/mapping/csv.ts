/** Characters that force a CSV field into quotes (RFC 4180 §2.6). */
const NEEDS_QUOTES = /[",\r\n]/

/** Quotes one CSV field when it must be, doubling inner quotes (RFC 4180 §2.6–2.7). */
export function csvField (value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

/**
 * Renders rows as RFC 4180 CSV: comma-separated, CRLF line breaks, every record (the last
 * too) ending in CRLF.
 * @param rows - the header row first, then the data rows
 */
export function toCsv (rows: string[][]): string {
  return rows.map((row) => row.map(csvField).join(',') + '\r\n').join('')
}
