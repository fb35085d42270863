import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import type { Resource } from '@medplum/fhirtypes'
import { createDeliveryWorker } from '../../../src/delivery/worker.ts'
import type { DeliveryWorker } from '../../../src/delivery/worker.ts'
import type { GoldenInput } from '../../../src/mapping/golden-examples.ts'
import { loadMappings } from '../../../src/mapping/load-mapping.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import type { Store, StoredResource } from '../../../src/store/store.ts'
import { deliveryById } from '../store/contract/harness.ts'

/**
 * A referral its partnership's mapping cannot fill (a required element is missing) must be
 * caught before anything is sent, and shown to operators as a dead letter whose lastError
 * names the missing fields (never their values). Driven through the real delivery worker and
 * the real mappings under mappings/.
 */
const MAPPINGS = fileURLToPath(new URL('../../../mappings', import.meta.url))
const AT = '2026-11-21T09:00:00.000Z'
const IDS = ['black-country', 'cambridgeshire-and-peterborough', 'surrey-heartlands'] as const

let worker: DeliveryWorker | undefined
afterEach(async () => { await worker?.stop(); worker = undefined })

const example = (id: string, name: string): GoldenInput =>
  JSON.parse(readFileSync(join(MAPPINGS, id, 'examples', `${name}.input.json`), 'utf8')) as GoldenInput

/** Stores an example referral (its resources as the intake stores them) with an outbox row. */
async function seed (store: Store, outboxId: string, partnershipId: string, input: GoldenInput): Promise<void> {
  const row = (r: Resource): StoredResource => ({ resourceType: r.resourceType, id: r.id ?? '', versionId: '1', lastUpdated: AT, resource: r })
  const srId = input.serviceRequest.id ?? ''
  const taskId = input.task.id ?? ''
  await store.saveReferral({
    resources: [input.serviceRequest, ...(input.resources ?? []), input.task].map(row),
    task: { id: taskId, basedOn: `ServiceRequest/${srId}`, owner: partnershipId, status: 'requested', lastUpdated: AT },
    serviceRequestId: srId,
    outbox: { id: outboxId, partnershipId, serviceRequestId: srId, taskId, createdAt: AT },
    audit: []
  })
}

describe('a referral the mapping cannot fill', () => {
  it('is a dead letter before delivery, its lastError naming every missing field and no value', async () => {
    const partnerships = await loadPartnerships(MAPPINGS)
    for (const id of IDS) {
      const p = partnerships.get(id)
      // nothing may be sent: any request would fail on this closed port and be a retry instead
      if (p !== undefined) p.delivery = { ...p.delivery, endpoint: 'http://127.0.0.1:9/never' }
    }
    const store = await openSqliteStore({ file: ':memory:' })
    onTestFinished(async () => { await store.close() })

    // contained-style: no NHS number, no birth date
    const contained = example('black-country', 'gp-referral')
    const patient = contained.serviceRequest.contained?.find((r) => r.resourceType === 'Patient')
    if (patient?.resourceType !== 'Patient') throw new Error('example changed')
    delete patient.identifier
    delete patient.birthDate
    await seed(store, 'd-contained', 'black-country', contained)

    // transaction-style: the separately stored Patient has no names
    const transaction = example('cambridgeshire-and-peterborough', 'transaction')
    const stored = transaction.resources?.find((r) => r.resourceType === 'Patient')
    if (stored?.resourceType !== 'Patient') throw new Error('example changed')
    delete stored.name
    await seed(store, 'd-transaction', 'cambridgeshire-and-peterborough', transaction)

    // fhir-bundle: the guard field (home postcode) is missing
    const bundle = example('surrey-heartlands', 'gp-referral')
    const noAddress = bundle.serviceRequest.contained?.find((r) => r.resourceType === 'Patient')
    if (noAddress?.resourceType !== 'Patient') throw new Error('example changed')
    delete noAddress.address
    await seed(store, 'd-bundle', 'surrey-heartlands', bundle)

    worker = createDeliveryWorker({
      store,
      partnerships,
      mappings: await loadMappings(MAPPINGS, IDS),
      clock: { now: () => new Date(AT) },
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      pollIntervalMs: 1_000,
      batchSize: 10,
      leaseMs: 5_000,
      requestTimeoutMs: 300,
      random: () => 0.5
    })
    expect(await worker.runOnce()).toBe(3)

    expect(await deliveryById(store, 'd-contained')).toMatchObject({ status: 'dead-letter', attempts: 1, lastError: 'mapping failed: missing required field(s) nhsNumber, birthDate' })
    expect(await deliveryById(store, 'd-transaction')).toMatchObject({ status: 'dead-letter', attempts: 1, lastError: 'mapping failed: missing required field(s) Surname' })
    expect(await deliveryById(store, 'd-bundle')).toMatchObject({ status: 'dead-letter', attempts: 1, lastError: 'mapping failed: missing required field(s) postcode' })

    // what an operator lists (GET /admin/deliveries reads the same rows)
    const dead = await store.listDeliveries({ status: 'dead-letter', limit: 10 })
    expect(dead.map((r) => r.id).sort()).toEqual(['d-bundle', 'd-contained', 'd-transaction'])
    for (const r of dead) expect(r.lastError).toMatch(/^mapping failed: missing required field\(s\) /)
  })
})
