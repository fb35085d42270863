import { describe, expect, it } from 'vitest'
import { evaluateAlerts } from '../../../src/alerts/alerts.ts'
import { consoleAlert, rulesReviews } from '../../../src/alerts/rules-reviews.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'
import type { ResolvedRules } from '../../../src/triage/rules.ts'

const THRESHOLDS = { circuitOpenMs: 30 * 60_000, oldestPendingMs: 4 * 3600_000 }
const calm = { pending: 0, deadLetter: 0 }

describe('rule review alerts', () => {
  const reviews = [{ partnershipId: 'frimley', reviewBy: '2027-03-31', graceDays: 30 }]
  const at = (iso: string): ReturnType<typeof evaluateAlerts> => evaluateAlerts({ now: new Date(iso), stats: calm, circuits: [], reviews }, THRESHOLDS)

  it('raises nothing up to the end of the review day', () => {
    expect(at('2027-03-31T23:59:59.000Z')).toEqual([])
  })

  it('asks for a review the day after, and says triage is held once the grace period has passed', () => {
    expect(at('2027-04-01T00:00:00.000Z')).toEqual([expect.objectContaining({ name: 'TriageRulesReviewOverdue', key: 'TriageRulesReviewOverdue/frimley', kind: 'cause', partnershipId: 'frimley', since: '2027-04-01T00:00:00.000Z' })])
    expect(at('2027-04-30T23:00:00.000Z')[0]?.name).toBe('TriageRulesReviewOverdue')
    expect(at('2027-05-01T00:00:00.000Z')).toEqual([expect.objectContaining({ name: 'TriageHeldForReview', kind: 'symptom', since: '2027-05-01T00:00:00.000Z' })])
  })

  it('takes the earlier of the rules\' and the partnership file\'s review dates', () => {
    const rules = new Map([['frimley', { partnershipId: 'frimley', reviewBy: '2027-06-30', reviewGraceDays: 14 } as unknown as ResolvedRules]])
    const withArea = new Map([['frimley', { id: 'frimley', reviewBy: '2027-03-31' } as unknown as Partnership]])
    expect(rulesReviews(rules, withArea)).toEqual([{ partnershipId: 'frimley', reviewBy: '2027-03-31', graceDays: 14 }])
    expect(rulesReviews(rules, new Map())).toEqual([{ partnershipId: 'frimley', reviewBy: '2027-06-30', graceDays: 14 }])
  })

  it('shows a symptom as an error and a cause as a warning in the console', () => {
    const [overdue] = at('2027-04-02T00:00:00.000Z')
    const [held] = at('2027-06-02T00:00:00.000Z')
    expect(overdue === undefined ? undefined : consoleAlert(overdue)).toMatchObject({ level: 'warning', partnershipId: 'frimley', text: expect.stringMatching(/^TriageRulesReviewOverdue: /) })
    expect(held === undefined ? undefined : consoleAlert(held).level).toBe('error')
  })
})

describe('directory check alerts (docs/hazard-log.md H13)', () => {
  const directory = { checks: [{ code: 'local-training', checked: '2026-11-30' }, { code: 'debt-advice', checked: '2026-12-06' }], maxAgeDays: 180 }
  const reviews = [{ partnershipId: 'frimley', reviewBy: '2099-12-31', graceDays: 30, directory }]
  const at = (iso: string): ReturnType<typeof evaluateAlerts> => evaluateAlerts({ now: new Date(iso), stats: calm, circuits: [], reviews }, THRESHOLDS)

  it('raises nothing while every entry was checked within the configured age (the check day counts whole)', () => {
    // 2026-11-30 + 180 days = 2027-05-29, the last day the check still holds
    expect(at('2027-05-29T23:59:59.000Z')).toEqual([])
  })

  it('names each entry checked longer ago than the configured age, oldest first, as a cause for the partnership', () => {
    expect(at('2027-05-30T00:00:00.000Z')).toEqual([{
      name: 'DirectoryCheckOverdue',
      key: 'DirectoryCheckOverdue/frimley',
      kind: 'cause',
      partnershipId: 'frimley',
      since: '2027-05-30T00:00:00.000Z',
      detail: 'directory entries last checked more than 180 days ago: local-training (2026-11-30): check each phone number and address against its source and record the day in the rule file (a new version)'
    }])
    expect(at('2027-06-05T00:00:00.000Z')[0]?.detail).toContain('local-training (2026-11-30), debt-advice (2026-12-06):')
    const [alert] = at('2027-06-05T00:00:00.000Z')
    expect(alert === undefined ? undefined : consoleAlert(alert)).toMatchObject({ level: 'warning', partnershipId: 'frimley', text: expect.stringMatching(/^DirectoryCheckOverdue: /) })
  })

  it('follows the configured age', () => {
    const short = [{ ...reviews[0]!, directory: { ...directory, maxAgeDays: 1 } }]
    expect(evaluateAlerts({ now: new Date('2026-12-02T00:00:00.000Z'), stats: calm, circuits: [], reviews: short }, THRESHOLDS).map((a) => a.detail))
      .toEqual(['directory entries last checked more than 1 days ago: local-training (2026-11-30): check each phone number and address against its source and record the day in the rule file (a new version)'])
  })

  it('takes the check days from the resolved directory, and none without a configured age', () => {
    const rules = new Map([['frimley', {
      partnershipId: 'frimley',
      reviewBy: '2027-06-30',
      reviewGraceDays: 14,
      directory: { 'debt-advice': { name: 'National Debtline', phone: '0808 808 4000', source: 'https://nationaldebtline.org', checked: '2026-12-06' }, 'local-workwell-team': { name: 'The team', text: 'ask' } }
    } as unknown as ResolvedRules]])
    expect(rulesReviews(rules, new Map(), 90)).toEqual([{ partnershipId: 'frimley', reviewBy: '2027-06-30', graceDays: 14, directory: { checks: [{ code: 'debt-advice', checked: '2026-12-06' }], maxAgeDays: 90 } }])
    expect(rulesReviews(rules, new Map())[0]).not.toHaveProperty('directory')
  })
})
