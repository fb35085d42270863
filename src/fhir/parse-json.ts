import { checkJsonShape, DEFAULT_JSON_LIMITS, type JsonLimits } from './json-limits.ts'
import { outcomeError } from './operation-outcome.ts'

function hasPoisonKey (value: unknown): boolean {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (v === null || typeof v !== 'object') continue
    if (Object.hasOwn(v, '__proto__')) return true
    const ctor = Object.hasOwn(v, 'constructor') ? (v as { constructor: unknown }).constructor : undefined
    if (ctor !== null && typeof ctor === 'object' && Object.hasOwn(ctor, 'prototype')) return true
    stack.push(...Object.values(v))
  }
  return false
}

/**
 * Parses a request body as JSON, refusing hostile input before it reaches any handler:
 * too deep or too long (checked on the text first), malformed, or carrying `__proto__` /
 * `constructor.prototype` keys that would pollute prototypes if merged later.
 * JSON.parse itself only creates own properties, so the scan after it is safe.
 */
export function parseRequestJson (text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): unknown {
  const shape = checkJsonShape(text, limits)
  if (shape !== undefined) {
    throw outcomeError(400, 'too-costly', `The body is refused: ${shape}`, 'Resource')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw outcomeError(400, 'structure', 'The request body is not valid JSON', 'Resource')
  }
  if ((text.includes('__proto__') || text.includes('constructor')) && hasPoisonKey(value)) {
    throw outcomeError(400, 'security', 'The body contains a forbidden __proto__ or constructor.prototype key', 'Resource')
  }
  return value
}
