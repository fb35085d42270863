import type { SQLOutputValue } from 'node:sqlite'

/** A row as node:sqlite returns it: column name → SQLite value. */
export type Row = Record<string, SQLOutputValue>

/**
 * Reads a TEXT column that must not be NULL.
 *
 * @throws TypeError when the column is missing or holds another type (a schema bug)
 */
export function text (row: Row, column: string): string {
  const value = row[column]
  if (typeof value !== 'string') throw new TypeError(`column ${column}: expected text, got ${describe(value)}`)
  return value
}

/** Reads a nullable TEXT column; NULL becomes undefined so optional fields stay absent. */
export function optText (row: Row, column: string): string | undefined {
  const value = row[column]
  return value === null ? undefined : text(row, column)
}

/**
 * Reads an INTEGER column that must not be NULL.
 *
 * @throws TypeError when the column is missing, holds another type, or does not fit a number
 */
export function int (row: Row, column: string): number {
  const value = row[column]
  if (typeof value === 'number' && Number.isInteger(value)) return value
  // only when a statement reads BigInts; the store's integers are small
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) {
    return Number(value)
  }
  throw new TypeError(`column ${column}: expected integer, got ${describe(value)}`)
}

/** Reads a nullable INTEGER column; NULL becomes undefined. */
export function optInt (row: Row, column: string): number | undefined {
  const value = row[column]
  return value === null ? undefined : int(row, column)
}

function describe (value: SQLOutputValue | undefined): string {
  if (value === undefined) return 'no such column'
  if (value === null) return 'NULL'
  if (value instanceof Uint8Array) return 'blob'
  return typeof value
}
