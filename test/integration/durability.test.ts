import { DatabaseSync } from 'node:sqlite'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { startGateway, tempDataDir } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

const DB_FILE = 'workwell.sqlite'

function count (dataDir: string, table: string): number {
  const db = new DatabaseSync(path.join(dataDir, DB_FILE))
  try {
    return Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n)
  } finally { db.close() }
}

describe('the write path loses nothing', () => {
  it('rolls the whole referral back when the store fails inside the transaction', async () => {
    const dataDir = tempDataDir()
    const gw = await startGateway({ dataDir })
    try {
      const ok = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: readJson('fixtures/referrals/frimley/gp-referral.json') })
      expect(ok.status).toBe(201)
      const before = { resources: count(dataDir, 'resources'), tasks: count(dataDir, 'tasks'), outbox: count(dataDir, 'outbox'), audit: count(dataDir, 'audit_events') }
      // A real failure half-way through the transaction: the outbox insert aborts after the
      // resources and the Task index rows have been written.
      const db = new DatabaseSync(path.join(dataDir, DB_FILE))
      db.exec("CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END")
      const requestId = randomUUID()
      const failed = await call(`${gw.fhir}/ServiceRequest`, { body: readJson('fixtures/referrals/frimley/gp-referral.json'), headers: { ...await asReferrer(gw), 'x-request-id': requestId } })
      expect(failed.status).toBe(500)
      expect(failed.body.resourceType).toBe('OperationOutcome')
      expect(failed.text).not.toContain('simulated disk failure')
      expect({ resources: count(dataDir, 'resources'), tasks: count(dataDir, 'tasks'), outbox: count(dataDir, 'outbox'), audit: count(dataDir, 'audit_events') }).toEqual(before)
      db.exec('DROP TRIGGER fail_outbox')
      db.close()
      // The claim was released: the sender's retry is processed as new.
      const retry = await call(`${gw.fhir}/ServiceRequest`, { body: readJson('fixtures/referrals/frimley/gp-referral.json'), headers: { ...await asReferrer(gw), 'x-request-id': requestId } })
      expect(retry.status).toBe(201)
      expect(count(dataDir, 'outbox')).toBe(before.outbox + 1)
    } finally {
      await gw.close()
    }
  })

  it('keeps every stored referral across a restart on the same data folder', async () => {
    const dataDir = tempDataDir()
    const created: Array<{ sr: string, task: string }> = []
    const first = await startGateway({ dataDir })
    for (const p of ['black-country', 'surrey-heartlands', 'greater-manchester', 'south-yorkshire']) {
      const res = await call(`${first.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(first), body: readJson(`fixtures/referrals/${p}/gp-referral.json`) })
      expect(res.status).toBe(200)
      created.push({ sr: (res.body.focus as { reference: string }).reference, task: res.body.id as string })
    }
    await first.stop()
    const second = await startGateway({ dataDir })
    try {
      for (const c of created) {
        expect((await call(`${second.fhir}/${c.sr}`, { headers: await asReferrer(second) })).status).toBe(200)
        expect((await call(`${second.fhir}/Task/${c.task}`, { headers: await asPartnership(second) })).status).toBe(200)
      }
      expect((await call(`${second.fhir}/Task`, { headers: await asPartnership(second) })).body.total).toBe(created.length)
    } finally {
      await second.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
