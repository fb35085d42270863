import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CROCKFORD, formatReference, normaliseReference, permute, referenceGenerator } from '../../../src/reference/referral-reference.ts'

const MAX = 2 ** 45 - 1
const SHAPE = /^WW-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/

describe('referral reference', () => {
  it('never repeats in 1 000 000 draws of one generator, whatever the clock does (stands still, jumps, goes back)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -5_000, max: 5_000 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 1_767_225_600_000, max: 1_900_000_000_000 }), (steps, start) => {
      let t = start
      let i = 0
      const gen = referenceGenerator(() => {
        // the clock moves by the drawn steps (ms, back as well as forward), one step per 20 000 draws
        if (++i % 20_000 === 0) t += (steps[(i / 20_000) % steps.length] ?? 0) * 1000
        return t
      })
      const seen = new Set<string>()
      for (let n = 0; n < 1_000_000; n++) seen.add(gen())
      expect(seen.size).toBe(1_000_000)
    }), { numRuns: 2 })
  }, 120_000)

  it('gives two generators counting in step (one clock, one instant) different references: each permutes with its own key', () => {
    const at = (): number => 1_790_000_000_000
    const a = referenceGenerator(at, 1)
    const b = referenceGenerator(at, 2)
    const fromA = Array.from({ length: 10_000 }, a)
    const fromB = new Set(Array.from({ length: 10_000 }, b))
    expect(fromA.filter((r) => fromB.has(r))).toEqual([])
    // the same key is the same permutation: what the key buys is the only difference
    const again = referenceGenerator(at, 1)
    expect(Array.from({ length: 3 }, again)).toEqual(fromA.slice(0, 3))
    // a generator made without a key draws one
    expect(referenceGenerator(at)()).not.toBe(referenceGenerator(at)())
  })

  it('is a permutation: distinct values give distinct references, each in the WW-XXXXX-XXXXX shape', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: MAX }), { minLength: 2, maxLength: 200 }), (values) => {
      const refs = values.map(formatReference)
      expect(new Set(refs).size).toBe(values.length)
      for (const r of refs) expect(r).toMatch(SHAPE)
      for (const v of values) expect(permute(v)).toBeLessThanOrEqual(MAX)
    }))
  })

  it('catches any single mistyped symbol with the check symbol', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 31 }), (n, at, shift) => {
      const ref = formatReference(n)
      const symbols = ref.replace(/^WW-|-/g, '')
      const wrong = CROCKFORD[(CROCKFORD.indexOf(symbols[at] ?? '') + shift) % 32] ?? ''
      const typed = symbols.slice(0, at) + wrong + symbols.slice(at + 1)
      expect(normaliseReference(typed)).toBeUndefined()
    }))
  })

  it('reads back what a person types: lower case, spaces, no prefix, O for 0 and I or L for 1', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX }), (n) => {
      const ref = formatReference(n)
      expect(normaliseReference(ref)).toBe(ref)
      const sloppy = ref.slice(3).toLowerCase().replace('-', ' ').replace(/0/g, 'o').replace(/1/g, 'l')
      expect(normaliseReference(sloppy)).toBe(ref)
    }))
    expect(normaliseReference('WW-12345')).toBeUndefined()
    expect(normaliseReference('WW-UUUUU-UUUUU')).toBeUndefined()
  })
})
