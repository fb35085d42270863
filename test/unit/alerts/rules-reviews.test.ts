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
