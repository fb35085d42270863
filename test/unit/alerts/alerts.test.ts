import { describe, expect, it } from 'vitest'
import { evaluateAlerts } from '../../../src/alerts/alerts.ts'
import { alertBundle, listAlerts, summariseAlerts } from '../../../src/alerts/alert-bundle.ts'
import { createAlertMonitor } from '../../../src/alerts/alert-monitor.ts'
import type { CircuitRecord, OutboxStats } from '../../../src/store/store.ts'
import { createManualScheduler } from '../../helpers/manual-scheduler.ts'

const NOW = new Date('2026-11-20T12:00:00.000Z')
const H = 3_600_000
const THRESHOLDS = { circuitOpenMs: 30 * 60_000, oldestPendingMs: 4 * H }
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString()
const circuit = (id: string, state: CircuitRecord['state'], openedAgoMs?: number): CircuitRecord =>
  ({ partnershipId: id, state, consecutiveFailures: 20, updatedAt: NOW.toISOString(), ...(openedAgoMs === undefined ? {} : { openedAt: ago(openedAgoMs) }) })

describe('delivery alerts', () => {
  it('none when nothing is dead, old or long open', () => {
    expect(evaluateAlerts({ now: NOW, stats: { pending: 3, deadLetter: 0, oldestPendingCreatedAt: ago(H) }, circuits: [circuit('a', 'open', 10 * 60_000), circuit('b', 'closed')] }, THRESHOLDS)).toEqual([])
  })

  it('raises each condition past its threshold, the circuit one per partnership', () => {
    const alerts = evaluateAlerts({
      now: NOW,
      stats: { pending: 7, deadLetter: 2, oldestPendingCreatedAt: ago(5 * H) },
      circuits: [circuit('frimley', 'open', H), circuit('kent', 'half-open', 31 * 60_000), circuit('surrey', 'open', 60_000)]
    }, THRESHOLDS)
    expect(alerts.map((a) => a.key)).toEqual(['ReferralDeadLettered', 'ReferralDeliveryDelayed', 'PartnerCircuitOpenLong/frimley', 'PartnerCircuitOpenLong/kent'])
    expect(alerts[1]).toMatchObject({ kind: 'symptom', since: ago(H) })
    expect(alerts[2]).toMatchObject({ kind: 'cause', partnershipId: 'frimley', since: ago(30 * 60_000) })
  })

  it('renders a collection Bundle of Flags that the console summary reads back', async () => {
    const alerts = evaluateAlerts({ now: NOW, stats: { pending: 0, deadLetter: 1 }, circuits: [circuit('frimley', 'open', H)] }, THRESHOLDS)
    const bundle = alertBundle(alerts, NOW)
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection', total: 2, timestamp: NOW.toISOString() })
    expect(bundle.entry[1]?.resource).toMatchObject({ resourceType: 'Flag', id: 'PartnerCircuitOpenLong-frimley', status: 'active', subject: { reference: 'Organization/frimley' } })
    expect(summariseAlerts(bundle)).toEqual([
      { name: 'ReferralDeadLettered', since: NOW.toISOString(), detail: expect.stringContaining('1 delivery') },
      { name: 'PartnerCircuitOpenLong', partnership: 'frimley', since: ago(30 * 60_000), detail: expect.stringContaining('circuit open') }
    ])
    const seen: string[] = []
    const fakeFetch = (async (url: string, init: { headers: Record<string, string> }) => {
      seen.push(url, init.headers.authorization ?? '')
      return new Response(JSON.stringify(bundle), { status: 200 })
    }) as unknown as typeof fetch
    expect(await listAlerts('https://gw.example/', 'tok', fakeFetch)).toHaveLength(2)
    expect(seen).toEqual(['https://gw.example/admin/alerts', 'Bearer tok'])
  })
})

describe('alert monitor', () => {
  it('logs an alert once when raised and once when cleared, on its schedule', async () => {
    let stats: OutboxStats = { pending: 0, deadLetter: 0 }
    const lines: Array<{ level: string, msg: string, obj: Record<string, unknown> }> = []
    const log = (level: string) => (obj: Record<string, unknown>, msg: string): void => { lines.push({ level, msg, obj }) }
    const scheduler = createManualScheduler()
    const monitor = createAlertMonitor({
      store: { outboxStats: async () => stats, listCircuits: async () => [] },
      clock: { now: () => NOW },
      thresholds: THRESHOLDS,
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
      scheduler,
      intervalMs: 1_000
    })
    monitor.start()
    await new Promise((resolve) => setImmediate(resolve))
    stats = { pending: 0, deadLetter: 1 }
    scheduler.advance(1_000)
    await new Promise((resolve) => setImmediate(resolve))
    scheduler.advance(1_000)
    await new Promise((resolve) => setImmediate(resolve))
    expect(monitor.current().map((a) => a.name)).toEqual(['ReferralDeadLettered'])
    stats = { pending: 0, deadLetter: 0 }
    scheduler.advance(1_000)
    await new Promise((resolve) => setImmediate(resolve))
    expect(lines.map((l) => [l.level, l.msg, l.obj.alert])).toEqual([['warn', 'alert raised', 'ReferralDeadLettered'], ['info', 'alert cleared', 'ReferralDeadLettered']])
    monitor.stop()
    expect(scheduler.pending()).toBe(0)
  })

  it('logs a failed check with its coded reason, never the message, and keeps checking', async () => {
    const lines: Array<{ msg: string, obj: Record<string, unknown> }> = []
    const scheduler = createManualScheduler()
    const monitor = createAlertMonitor({
      store: { outboxStats: async () => { throw new Error('SELECT … NHS 943 476 5919') }, listCircuits: async () => [] },
      clock: { now: () => NOW },
      thresholds: THRESHOLDS,
      logger: { info: () => undefined, warn: () => undefined, error: (obj, msg) => { lines.push({ obj, msg }) } },
      scheduler,
      intervalMs: 1_000
    })
    monitor.start()
    await new Promise((resolve) => setImmediate(resolve))
    expect(lines).toEqual([{ msg: 'alert check failed', obj: expect.objectContaining({ reason: 'alerts-check-failed', error: 'Error' }) }])
    expect(JSON.stringify(lines)).not.toContain('943')
    expect(scheduler.pending()).toBe(1)
    monitor.stop()
  })
})
