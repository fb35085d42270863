import { describe, expect, it } from 'vitest'
import { pruneCutoffs } from '../../../src/retention/prune.ts'
import { createPruneSchedule } from '../../../src/retention/prune-schedule.ts'
import type { PruneCutoffs } from '../../../src/store/store.ts'
import { createManualScheduler } from '../../helpers/manual-scheduler.ts'

const NOW = new Date('2026-11-20T12:00:00.000Z')
const DAY = 86_400_000

describe('retention', () => {
  it('cuts off each kind of record at now minus its period', () => {
    expect(pruneCutoffs(NOW, { deliveredDays: 30, auditDays: 2922 })).toEqual({
      deliveredBefore: new Date(NOW.getTime() - 30 * DAY),
      auditBefore: new Date(NOW.getTime() - 2922 * DAY)
    })
  })

  it('prunes at start and then every interval on the injected schedule, logging counts only', async () => {
    const calls: Array<[PruneCutoffs, boolean]> = []
    const logs: Array<Record<string, unknown>> = []
    const scheduler = createManualScheduler()
    let now = NOW.getTime()
    const schedule = createPruneSchedule({
      store: { prune: async (c, dry) => { calls.push([c, dry]); return { deliveredRows: 2, auditRecords: 0 } } },
      clock: { now: () => new Date(now) },
      scheduler,
      logger: { info: (obj) => { logs.push(obj) }, warn: () => undefined, error: () => undefined },
      retention: { deliveredDays: 30, auditDays: 2922, pruneIntervalMs: DAY }
    })
    schedule.start()
    await new Promise((resolve) => setImmediate(resolve))
    now += DAY
    scheduler.advance(DAY)
    await new Promise((resolve) => setImmediate(resolve))
    expect(calls).toHaveLength(2)
    expect(calls[1]?.[0].deliveredBefore).toEqual(new Date(NOW.getTime() + DAY - 30 * DAY))
    expect(calls.every(([, dry]) => !dry)).toBe(true)
    expect(logs[0]).toMatchObject({ deliveredRows: 2, auditRecords: 0 })
    await schedule.stop()
    expect(scheduler.pending()).toBe(0)
  })

  it('does not run at all with an interval of 0', async () => {
    let calls = 0
    const schedule = createPruneSchedule({
      store: { prune: async () => { calls++; return { deliveredRows: 0, auditRecords: 0 } } },
      clock: { now: () => NOW },
      scheduler: createManualScheduler(),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      retention: { deliveredDays: 30, auditDays: 30, pruneIntervalMs: 0 }
    })
    schedule.start()
    await schedule.stop()
    expect(calls).toBe(0)
  })
})
