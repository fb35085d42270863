/**
 * The one structural equality of JSON values in the gateway (the validator's fixed and
 * pattern values, FHIRPath's distinct and union, a Task's append-only lists, a JSON Patch
 * `test`): object key order does not matter, array order does, and a key holding undefined is
 * the same as an absent key (JSON has no undefined; a value built in code may hold one).
 * Loops over keys without allocating, as the validator calls it on its hot path.
 */
export function jsonEqual (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  const aArray = Array.isArray(a)
  if (aArray !== Array.isArray(b)) return false
  if (aArray) {
    const x = a as unknown[]
    const y = b as unknown[]
    if (x.length !== y.length) return false
    for (let i = 0; i < x.length; i++) if (!jsonEqual(x[i], y[i])) return false
    return true
  }
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  for (const k in x) {
    if (Object.hasOwn(x, k) && !jsonEqual(x[k], y[k])) return false
  }
  for (const k in y) {
    if (Object.hasOwn(y, k) && !Object.hasOwn(x, k) && y[k] !== undefined) return false
  }
  return true
}
