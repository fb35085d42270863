/**
 * The part of a pino Logger the delivery worker uses (a pino Logger satisfies it). Everything
 * logged through it is ids, statuses, attempts and timings: never names, NHS numbers, bodies
 * or secrets.
 */
export interface DeliveryLogger {
  info: (obj: Record<string, unknown>, msg: string) => void
  warn: (obj: Record<string, unknown>, msg: string) => void
  error: (obj: Record<string, unknown>, msg: string) => void
}
