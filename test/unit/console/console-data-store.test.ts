import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createConsoleData } from '../../../src/console/console-data.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import type { Store } from '../../../src/store/store.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'
import { referral, settle } from '../store/contract/harness.ts'

const NOW = new Date('2026-03-01T12:00:00.000Z')
const partnership = (id: string): Partnership => ({ id, name: `${id} WorkWell`, leadIcbs: [], practices: [], postcodeDistricts: [], delivery: { endpoint: 'https://p.example', format: 'fhir-bundle', maxAttempts: 5 }, sources: [] })
const validator: ResourceValidator = { validate: () => [] } as unknown as ResourceValidator

let dir: string
let store: Store

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'console-data-'))
  store = await openSqliteStore({ file: path.join(dir, 'gateway.sqlite') })
})

afterEach(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('console data over a real store', () => {
  it('counts each partnership\'s pending, in-flight, delivered-today and dead-letter rows', async () => {
    const at = (h: number): string => `2026-03-01T${String(h).padStart(2, '0')}:00:00.000Z`
    for (const [n, h] of [['1', 8], ['2', 9], ['3', 10], ['4', 11]] as const) await store.saveReferral(referral(n, { owner: 'frimley', lastUpdated: at(h), createdAt: at(h) }))
    await store.saveReferral(referral('5', { owner: 'black-country', lastUpdated: at(7), createdAt: at(7) }))
    await settle(store, NOW, { id: 'out-3', outcome: 'delivered', responseStatus: 201 }, { id: 'out-4', outcome: 'dead-letter', error: 'HTTP 400 (rejected by partner)' })
    // a worker leases one row: in flight
    await store.claimDueDeliveries(NOW, 1, 60_000, { partnershipIds: ['frimley'] })
    await store.saveCircuit({ partnershipId: 'frimley', state: 'open', consecutiveFailures: 5, openedAt: at(11), openUntil: '2026-03-01T13:00:00.000Z', updatedAt: at(11) })

    const data = createConsoleData({ store, validator, partnerships: new Map([['frimley', partnership('frimley')], ['black-country', partnership('black-country')]]), triageRules: new Map(), clock: { now: () => NOW }, newId: () => 'id' })
    const rows = await data.partnershipRows(NOW)
    expect(rows).toEqual([
      { id: 'frimley', name: 'frimley WorkWell', pending: 1, inFlight: 1, deliveredToday: 1, deadLetters: 1, oldestPendingAgeMs: 4 * 3600_000, circuit: 'open', rulesVersion: 'none' },
      { id: 'black-country', name: 'black-country WorkWell', pending: 1, inFlight: 0, deliveredToday: 0, deadLetters: 0, oldestPendingAgeMs: 5 * 3600_000, circuit: 'closed', rulesVersion: 'none' }
    ])
    const alerts = await data.alerts(NOW)
    expect(alerts.map((a) => a.text)).toEqual(['Circuit open: deliveries to frimley are paused after 5 failures in a row', '1 dead letter for frimley'])

    const plots = await data.plots(NOW)
    expect(plots.perPartnership).toEqual([{ id: 'frimley', delivered: 1, deadLettered: 1 }, { id: 'black-country', delivered: 0, deadLettered: 0 }])
    // at the end of the 08:00-09:00 hour one row (created 08:00) waited with black-country's (07:00)
    expect(plots.depth.find((d) => d.at === at(9))?.depth).toBe(3)
    expect(plots.depth.at(-1)).toEqual({ at: NOW.toISOString(), depth: 3 })
  })
})
