import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { freshPatients } from '../../../bench/fresh-patients.ts'
import { isValidNhsNumber } from '../../../src/validation/nhs-number.ts'

const folder = 'fixtures/referrals'
const bodies = readdirSync(folder).sort().map((p) => readFileSync(`${folder}/${p}/gp-referral.json`, 'utf8'))
const nhsOf = (body: string): string => String(/"(\d{10})"/.exec(body)?.[1])

describe('the intake bench\'s fresh patients', () => {
  it('gives every request its template with a new, valid NHS number and nothing else changed', () => {
    const fresh = freshPatients()
    const seen = new Set<string>()
    for (let i = 0; i < 3000; i++) {
      const { body, template } = fresh(bodies, i)
      expect(template).toBe(i % bodies.length)
      const nhs = nhsOf(body)
      expect(isValidNhsNumber(nhs), nhs).toBe(true)
      expect(nhs.startsWith('999')).toBe(true)
      expect(seen.has(nhs)).toBe(false)
      seen.add(nhs)
      expect(body.replace(nhs, nhsOf(bodies[template] ?? ''))).toBe(bodies[template])
    }
  })
})
