/**
 * A new person per request. The bench's 15 GP referrals, sent over and over unchanged, are 15
 * people referred thousands of times each, which no practice does: every referral after the
 * first would be a possible duplicate of all the earlier ones. Real traffic is almost all
 * first referrals, so each request gets its template with the patient's NHS number replaced by
 * the next valid one (Modulus 11) in the 999 test range, and names its template in a header so
 * the durable floor can find the Task it planned for it.
 *
 * The load generators run as `node -e`, so this is source text they include; `freshPatients`
 * evaluates the same text for the tests and the profiler.
 */

/** The header that names the template a request was made from (its index in the bodies file). */
export const TEMPLATE_HEADER = 'x-bench-template'

/**
 * Defines `freshBody(bodies, i)` → `{ body, template }`: request i's body, made from template
 * i mod n with the i-th valid NHS number from a start chosen per process (so runs against one
 * database rarely meet). Plain JavaScript: it is spliced into the generators' sources.
 */
export const FRESH_PATIENT_SOURCE = `
const __nhsStart = 999000000 + Math.floor(Math.random() * 500000)
const __templates = new Map()
function __checkDigit (nine) {
  let sum = 0
  for (let k = 0; k < 9; k++) sum += (nine.charCodeAt(k) - 48) * (10 - k)
  const c = 11 - (sum % 11)
  return c === 11 ? 0 : c
}
let __next = 0
function __nextNhs () {
  for (;;) {
    const nine = String(__nhsStart + (__next++ % 500000))
    const c = __checkDigit(nine)
    if (c !== 10) return nine + c
  }
}
function freshBody (bodies, i) {
  const template = i % bodies.length
  let parts = __templates.get(template)
  if (parts === undefined) {
    const text = bodies[template]
    const m = /"(\\d{10})"/.exec(text)
    if (m === null) throw new Error('template ' + template + ' has no NHS number')
    parts = [text.slice(0, m.index + 1), text.slice(m.index + 11)]
    __templates.set(template, parts)
  }
  return { body: parts[0] + __nextNhs() + parts[1], template }
}
`

/** The same code, for callers in TypeScript (tests, the profiler). */
export function freshPatients (): (bodies: readonly string[], i: number) => { body: string, template: number } {
  // eslint-disable-next-line no-new-func -- the generators' own source, tested as they run it
  return new Function(`${FRESH_PATIENT_SOURCE}; return freshBody`)() as (bodies: readonly string[], i: number) => { body: string, template: number }
}
