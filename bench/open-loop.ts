/**
 * Open-loop load: requests leave on a fixed schedule (request i at start + i / rate) whether or
 * not earlier ones have been answered, and each latency runs from the request's scheduled
 * send time, not from when it actually left. A closed-loop generator (autocannon) waits for
 * an answer before sending the next request on that connection, so a stall delays the
 * requests it would have sent and they never record the wait ("coordinated omission"); here
 * a 50 ms stall shows as 50 ms on every request scheduled during it.
 *
 * The generator runs in its own process (undici Pool, one request per connection at a time;
 * requests beyond the open connections queue in the pool, still timed from their schedule).
 */

import { FRESH_PATIENT_SOURCE, TEMPLATE_HEADER } from './fresh-patients.ts'

/** What one open-loop run reports. */
export interface OpenLoopResult {
  /** requests scheduled (rate × seconds) */
  sent: number
  ok: number
  non2xx: number
  errors: number
  /** answers per second over the run, from the first scheduled send to the last answer */
  rps: number
  p50: number
  p99: number
  p999: number
  max: number
}

/**
 * The value below which a share q of the sorted samples fall (nearest rank: the smallest
 * sample with at least q of them at or below it).
 * @param sorted - ascending
 */
export function nearestRank (sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)))
  return sorted[rank - 1] ?? 0
}

/** The generator, run as `node -e OPEN_LOOP_SOURCE config.json`; prints one JSON line of raw latencies and counts. */
export const OPEN_LOOP_SOURCE = `
const { Pool } = require('undici')
${FRESH_PATIENT_SOURCE}
const { readFileSync } = require('node:fs')
const cfg = JSON.parse(readFileSync(process.argv[1], 'utf8'))
const pool = new Pool(cfg.url, { connections: cfg.connections, pipelining: 1 })
// the first warmSeconds run on the same schedule but are not recorded: this process's own
// start (cold code, a hundred new connections) is not the server's latency
const warm = Math.round(cfg.rate * (cfg.warmSeconds ?? 0))
const measured = Math.round(cfg.rate * cfg.seconds)
const total = warm + measured
const latencies = new Float64Array(measured)
const headers = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', authorization: 'Bearer ' + cfg.token }
let ok = 0, non2xx = 0, errors = 0, warmOk = 0, done = 0, next = 0, last = 0
const start = performance.now() + 20
const at = (i) => start + i * 1000 / cfg.rate
function finish () {
  process.stdout.write(JSON.stringify({ sent: measured, ok, non2xx, errors, warmOk, seconds: (last - at(warm)) / 1000, latencies: Array.from(latencies) }) + '\\n')
  pool.close().then(() => process.exit(0))
}
function send (i) {
  const scheduled = at(i)
  const { body, template } = freshBody(cfg.bodies, i)
  pool.request({ path: '/fhir/ServiceRequest', method: 'POST', headers: { ...headers, '${TEMPLATE_HEADER}': String(template) }, body }).then(async (res) => {
    await res.body.dump()
    if (i < warm) { if (res.statusCode >= 200 && res.statusCode < 300) warmOk++; return }
    if (res.statusCode >= 200 && res.statusCode < 300) ok++; else non2xx++
  }, () => { if (i >= warm) errors++ }).finally(() => {
    const now = performance.now()
    if (i >= warm) {
      last = Math.max(last, now)
      latencies[i - warm] = now - scheduled
    }
    if (++done === total) finish()
  })
}
function tick () {
  const now = performance.now()
  while (next < total && at(next) <= now) send(next++)
  if (next < total) setTimeout(tick, Math.max(0, at(next) - performance.now()))
}
setTimeout(tick, 20)
`

/** Raw output of the generator, as printed. */
export interface OpenLoopRaw { sent: number, ok: number, non2xx: number, errors: number, seconds: number, latencies: number[], /** 2xx answers in the unrecorded warm-up */ warmOk?: number }

/** The figures of a run from its raw latencies (ms, from each request's scheduled send). */
export function summariseOpenLoop (raw: OpenLoopRaw): OpenLoopResult {
  const sorted = Float64Array.from(raw.latencies).sort()
  const ms = (n: number): number => Math.round(n * 100) / 100
  return {
    sent: raw.sent,
    ok: raw.ok,
    non2xx: raw.non2xx,
    errors: raw.errors,
    rps: Math.round((raw.ok + raw.non2xx) / Math.max(raw.seconds, 1e-3)),
    p50: ms(nearestRank(sorted, 0.5)),
    p99: ms(nearestRank(sorted, 0.99)),
    p999: ms(nearestRank(sorted, 0.999)),
    max: ms(sorted[sorted.length - 1] ?? 0)
  }
}
