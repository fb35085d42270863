import { describe, expect, it } from 'vitest'
import { alertsFromStore, byUrgency, type TaskSummary } from '../../../src/console/console-data.ts'
import type { CircuitRecord, OutboxRow } from '../../../src/store/store.ts'

const row = (id: string, partnershipId: string, updatedAt: string): OutboxRow => ({ id, partnershipId, serviceRequestId: 's', taskId: 't', createdAt: updatedAt, status: 'dead-letter', attempts: 1, nextAttemptAt: updatedAt, updatedAt })

describe('alertsFromStore', () => {
  it('raises one alert per partnership with dead letters and one per circuit not closed', async () => {
    const circuits: CircuitRecord[] = [
      { partnershipId: 'frimley', state: 'open', consecutiveFailures: 5, openedAt: '2026-12-01T09:00:00Z', openUntil: '2026-12-01T11:00:00Z', updatedAt: '2026-12-01T09:00:00Z' },
      { partnershipId: 'black-country', state: 'closed', consecutiveFailures: 0, updatedAt: '2026-12-01T09:00:00Z' }
    ]
    const rows = [row('a', 'frimley', '2026-12-01T08:00:00Z'), row('b', 'frimley', '2026-12-01T07:00:00Z'), row('c', 'south-yorkshire', '2026-12-01T08:30:00Z')]
    const alerts = await alertsFromStore({ listDeliveries: async () => rows, listCircuits: async () => circuits })(new Date('2026-12-01T10:00:00Z'))
    expect(alerts).toEqual([
      { level: 'error', partnershipId: 'frimley', text: 'Circuit open: deliveries to frimley are paused after 5 failures in a row', since: '2026-12-01T09:00:00Z' },
      { level: 'warning', partnershipId: 'frimley', text: '2 dead letters for frimley', since: '2026-12-01T07:00:00Z' },
      { level: 'warning', partnershipId: 'south-yorkshire', text: '1 dead letter for south-yorkshire', since: '2026-12-01T08:30:00Z' }
    ])
  })
})

describe('byUrgency', () => {
  it('puts urgent work first, then the oldest', () => {
    const t = (id: string, priority: string, authoredOn: string): TaskSummary => ({ id, versionId: '1', status: 'requested', priority, owner: 'x', ownerName: 'X', authoredOn, lastModified: authoredOn })
    const sorted = [t('a', 'routine', '2026-01-01'), t('b', 'urgent', '2026-03-01'), t('c', 'routine', '2025-12-01'), t('d', 'urgent', '2026-02-01')].sort(byUrgency)
    expect(sorted.map((x) => x.id)).toEqual(['d', 'b', 'c', 'a'])
  })
})
