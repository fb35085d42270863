import { describe, expect, it } from 'vitest'
import { fieldsNamed, operatorHome } from '../../../src/console/operator-pages.ts'

describe('operator pages', () => {
  it('names the fields a dead letter\'s reason names', () => {
    expect(fieldsNamed('mapping failed: missing required field(s) referral.practice, person.nhsNumber')).toEqual(['referral.practice', 'person.nhsNumber'])
    expect(fieldsNamed('HTTP 400 (rejected by partner): error required at referral.practice')).toEqual(['referral.practice'])
    expect(fieldsNamed('gave up after 5 attempt(s): HTTP 503')).toEqual([])
    expect(fieldsNamed(undefined)).toEqual([])
  })

  it('shows one row per partnership, links its dead letters, and escapes what it shows', () => {
    const row = { id: 'frimley', name: 'Frimley <WorkWell>', pending: 2, inFlight: 1, deliveredToday: 5, deadLetters: 3, oldestPendingAgeMs: 3_900_000, circuit: 'open' as const, rulesVersion: 'workwell-baseline/2026.11.1+frimley/2026.10.2' }
    const markup = operatorHome([row, { ...row, id: 'black-country', name: 'Black Country', deadLetters: 0 }], [{ level: 'error', partnershipId: 'frimley', text: 'Circuit open' }]).value
    expect(markup.match(/<tr class="nhsuk-table__row"><th scope="row"/g)).toHaveLength(2)
    expect(markup).toContain('Frimley &lt;WorkWell&gt;')
    expect(markup).toContain('href="/console/operator/partnerships/frimley/dead-letters">3<')
    expect(markup).not.toContain('partnerships/black-country/dead-letters">')
    expect(markup).toContain('1 h 5 min')
    expect(markup).toContain('2026.11.1 + 2026.10.2')
    expect(markup).toContain('nhsuk-tag--red">open<')
    expect(markup).toContain('Alerts (1)')
  })
})
