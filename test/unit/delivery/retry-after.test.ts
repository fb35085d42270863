import { describe, expect, it } from 'vitest'
import { parseRetryAfter } from '../../../src/delivery/retry-after.ts'

const NOW = new Date('2026-11-20T10:00:00.000Z')

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000)
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0)
    expect(parseRetryAfter(['5', '9'], NOW)).toBe(5_000)
  })

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfter('Fri, 20 Nov 2026 10:01:30 GMT', NOW)).toBe(90_000)
    expect(parseRetryAfter('Friday, 20-Nov-26 10:00:10 GMT', NOW)).toBe(10_000)
    expect(parseRetryAfter('Fri, 20 Nov 2026 09:00:00 GMT', NOW)).toBe(0)
  })

  it('ignores what it cannot read', () => {
    for (const v of [undefined, '', '-5', '1.5', 'soon', 'Fri, 99 Nov 2026 99:00:00 GMT']) {
      expect(parseRetryAfter(v, NOW)).toBeUndefined()
    }
  })
})
