import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.ts'
import { runDeliveryCommand } from '../../../src/delivery/delivery-commands.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import type { Store } from '../../../src/store/store.ts'
import { deliveryById } from '../store/contract/harness.ts'

/**
 * `workwell deliveries` and `workwell replay` against a real SQLite file in a temporary data
 * folder: what an operator without HTTP access sees and does.
 */
const AT = '2026-11-21T09:00:00.000Z'
const NOW = new Date('2026-11-21T09:05:00.000Z')

let dataDir: string
beforeEach(() => { dataDir = mkdtempSync(path.join(tmpdir(), 'workwell-cli-')) })
afterEach(() => { rmSync(dataDir, { recursive: true, force: true }) })

async function withStore (fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openSqliteStore({ file: path.join(dataDir, 'workwell.sqlite') })
  try { await fn(store) } finally { await store.close() }
}

/** One accepted referral with its outbox row; the Task is all the row needs to be listed. */
async function seed (store: Store, n: number, partnershipId: string): Promise<string> {
  const taskId = `task-${n}`
  const outboxId = `out-${n}`
  await store.saveReferral({
    resources: [{ resourceType: 'Task', id: taskId, versionId: '1', lastUpdated: AT, resource: { resourceType: 'Task', id: taskId, status: 'requested', intent: 'order' } }],
    task: { id: taskId, basedOn: `ServiceRequest/sr-${n}`, owner: partnershipId, status: 'requested', lastUpdated: AT },
    serviceRequestId: `sr-${n}`,
    outbox: { id: outboxId, partnershipId, serviceRequestId: `sr-${n}`, taskId, createdAt: AT },
    audit: []
  })
  return outboxId
}

async function run (command: 'deliveries' | 'replay' | 'prune', args: string[], now = NOW): Promise<{ code: number, out: string[], err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const config = loadConfig({ WORKWELL_DATA_DIR: dataDir }, process.cwd())
  const code = await runDeliveryCommand(command, args, { config, out: (l) => out.push(l), err: (l) => err.push(l), clock: { now: () => now }, signal: AbortSignal.abort() })
  return { code, out, err }
}

describe('workwell deliveries', () => {
  beforeEach(async () => {
    await withStore(async (store) => {
      await seed(store, 1, 'frimley')
      await seed(store, 2, 'frimley')
      await seed(store, 3, 'black-country')
      await store.settleDeliveries([
        { id: 'out-1', outcome: 'dead-letter', error: 'mapping failed: missing required field(s) postcode' },
        { id: 'out-3', outcome: 'delivered', responseStatus: 201 }
      ], NOW)
      await store.saveCircuit({ partnershipId: 'frimley', state: 'open', consecutiveFailures: 5, openedAt: AT, openUntil: '2026-11-21T10:00:00.000Z', updatedAt: AT })
    })
  })

  it('lists dead letters with their reason, filtered by partnership and status, and the circuits', async () => {
    const dead = await run('deliveries', ['--status', 'dead-letter'])
    expect(dead.code).toBe(0)
    const rows = dead.out.filter((l) => !l.startsWith('circuit\t'))
    expect(rows).toHaveLength(1)
    expect(rows[0]?.split('\t')).toEqual(['out-1', 'frimley', 'dead-letter', 'attempts=1', 'ServiceRequest/sr-1', NOW.toISOString(), 'mapping failed: missing required field(s) postcode'])
    expect(dead.out).toContain('circuit\tfrimley\topen\tfailures=5\topenUntil=2026-11-21T10:00:00.000Z')

    const bc = await run('deliveries', ['--partnership', 'black-country'])
    expect(bc.out).toEqual([expect.stringMatching(/^out-3\tblack-country\tdelivered\tattempts=1\t/)])

    const pending = await run('deliveries', ['--partnership', 'frimley', '--status', 'pending', '--count', '5'])
    expect(pending.out.filter((l) => !l.startsWith('circuit\t')).map((l) => l.split('\t')[0])).toEqual(['out-2'])
  })

  it('refuses an unknown status or option with exit code 2', async () => {
    const bad = await run('deliveries', ['--status', 'lost'])
    expect(bad.code).toBe(2)
    expect(bad.err.join('\n')).toContain('--status must be one of pending, delivered, dead-letter')
    expect((await run('deliveries', ['--colour', 'red'])).code).toBe(2)
    expect((await run('deliveries', ['--status'])).code).toBe(2)
  })
})

describe('workwell replay', () => {
  it('puts a dead letter back to pending with its attempts reset; anything else is refused', async () => {
    await withStore(async (store) => {
      await seed(store, 1, 'frimley')
      await seed(store, 2, 'frimley')
      await store.settleDeliveries([{ id: 'out-1', outcome: 'dead-letter', error: 'HTTP 400 (rejected by partner)', responseStatus: 400 }], NOW)
    })

    const replayed = await run('replay', ['out-1'])
    expect(replayed).toMatchObject({ code: 0, out: ['out-1\treplayed: pending, attempts reset'] })
    await withStore(async (store) => {
      expect(await deliveryById(store, 'out-1')).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: NOW.toISOString() })
    })

    const again = await run('replay', ['out-1'])
    expect(again.code).toBe(1)
    expect(again.err.join('\n')).toContain('delivery out-1 is pending; only a dead letter can be replayed')
    expect((await run('replay', ['no-such'])).err).toEqual(['no delivery no-such'])
    expect((await run('replay', [])).code).toBe(2)
  })
})

describe('workwell prune', () => {
  it('counts with --dry-run, then deletes delivered rows past 30 days, never pending or dead-letter rows', async () => {
    await withStore(async (store) => {
      for (const n of [1, 2, 3]) await seed(store, n, 'frimley')
      await store.settleDeliveries([
        { id: 'out-1', outcome: 'delivered', responseStatus: 201 },
        { id: 'out-2', outcome: 'dead-letter', error: 'HTTP 400 (rejected by partner)' }
      ], NOW)
    })
    const later = new Date(NOW.getTime() + 31 * 86_400_000)
    const dry = await run('prune', ['--dry-run'], later)
    expect(dry).toMatchObject({ code: 0, err: [] })
    expect(dry.out[0]).toMatch(/^would delete 1 delivered outbox row\(s\) settled before /)
    await withStore(async (store) => { expect(await deliveryById(store, 'out-1')).toBeDefined() })
    const real = await run('prune', [], later)
    expect(real.out[0]).toMatch(/^deleted 1 delivered outbox row/)
    await withStore(async (store) => {
      expect(await deliveryById(store, 'out-1')).toBeUndefined()
      expect((await deliveryById(store, 'out-2'))?.status).toBe('dead-letter')
      expect((await deliveryById(store, 'out-3'))?.status).toBe('pending')
    })
  })

  it('refuses an unknown option', async () => {
    expect(await run('prune', ['--everything'])).toMatchObject({ code: 2, err: [expect.stringContaining('usage: workwell prune')] })
  })
})
