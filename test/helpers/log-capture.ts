import { Writable } from 'node:stream'
import { expect } from 'vitest'

/** One pino line, parsed. */
export interface LogLine {
  level: number
  msg?: string
  [key: string]: unknown
}

/** pino's level numbers (error and above is what an operator is paged on). */
export const LEVEL = { info: 30, warn: 40, error: 50, fatal: 60 } as const

/** An expected error-level line: its msg, and optionally its reason code. */
export interface ExpectedError { msg: string | RegExp, reason?: string }

/** A pino destination that keeps every line in memory, for tests to assert on. */
export interface LogCapture {
  destination: Writable
  lines: LogLine[]
  /** error-level (and fatal) lines that match none of `expected` */
  unexpectedErrors: (expected?: readonly ExpectedError[]) => LogLine[]
  /** fails the test on any error-level line not in `expected`, printing those lines */
  expectNoUnexpectedErrors: (expected?: readonly ExpectedError[]) => void
}

/**
 * Creates a log capture. Lines are split on newlines (pino writes one JSON object per line,
 * sometimes several per chunk); a line that is not JSON is kept as an error so it cannot hide.
 */
export function createLogCapture (): LogCapture {
  const lines: LogLine[] = []
  let partial = ''
  const destination = new Writable({
    write (chunk: Buffer, _enc, cb) {
      const text = partial + chunk.toString('utf8')
      const parts = text.split('\n')
      partial = parts.pop() ?? ''
      for (const part of parts) if (part.trim() !== '') lines.push(parse(part))
      cb()
    }
  })
  const unexpectedErrors = (expected: readonly ExpectedError[] = []): LogLine[] =>
    lines.filter((l) => l.level >= LEVEL.error && !expected.some((e) => matches(l, e)))
  return {
    destination,
    lines,
    unexpectedErrors,
    expectNoUnexpectedErrors (expected = []) {
      expect(unexpectedErrors(expected), 'error-level log lines nobody expected').toEqual([])
    }
  }
}

function parse (line: string): LogLine {
  try {
    const value: unknown = JSON.parse(line)
    if (typeof value === 'object' && value !== null && typeof (value as { level?: unknown }).level === 'number') return value as LogLine
  } catch {
    // kept below as an error line
  }
  return { level: LEVEL.error, msg: 'unparseable log line', raw: line.slice(0, 200) }
}

function matches (line: LogLine, e: ExpectedError): boolean {
  const msg = line.msg ?? ''
  const msgOk = typeof e.msg === 'string' ? msg === e.msg : e.msg.test(msg)
  return msgOk && (e.reason === undefined || line.reason === e.reason)
}
