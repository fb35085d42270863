import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { ReferralWrite } from '../src/store/store.ts'

/** What the store micro-benchmarks write: the real GP referrals and a Task of a triage Task's size. */
export interface BenchPayloads {
  /** the ServiceRequests of fixtures/referrals, as compact JSON */
  serviceRequests: string[]
  /** ~9 KB of JSON, a triage Task's size: its length matters to the store, not its content */
  taskJson: string
}

export function benchPayloads (repo: string): BenchPayloads {
  const folder = path.join(repo, 'fixtures/referrals')
  return {
    serviceRequests: readdirSync(folder).sort().map((p) => JSON.stringify(JSON.parse(readFileSync(path.join(folder, p, 'gp-referral.json'), 'utf8')))),
    taskJson: JSON.stringify({ resourceType: 'Task', note: 'x'.repeat(9000) })
  }
}

/**
 * The i-th referral's write as the gateway makes it: its ServiceRequest and triage Task, the
 * Task's search row, the outbox row, a patient key and the audit records (one per resource, or
 * only the ServiceRequest's with `oneAudit`).
 */
export function benchReferralWrite (newId: () => string, i: number, payloads: BenchPayloads, oneAudit = false): ReferralWrite {
  const id = newId()
  const taskId = newId()
  const at = new Date().toISOString()
  const entities = [`ServiceRequest/${id}`, `Task/${taskId}`]
  const owner = 'birmingham-and-solihull'
  return {
    resources: [
      { resourceType: 'ServiceRequest', id, versionId: '1', lastUpdated: at, resource: { resourceType: 'ServiceRequest', id } as never, json: payloads.serviceRequests[i % payloads.serviceRequests.length] ?? '{}' },
      { resourceType: 'Task', id: taskId, versionId: '1', lastUpdated: at, resource: { resourceType: 'Task', id: taskId } as never, json: payloads.taskJson }
    ],
    task: { id: taskId, basedOn: `ServiceRequest/${id}`, owner, status: 'requested', lastUpdated: at, reference: `WW-${String(i).padStart(5, '0')}-AAAAA` },
    serviceRequestId: id,
    scope: { referralId: id, owner, requesterOds: 'M85008' },
    outbox: { id: newId(), partnershipId: owner, serviceRequestId: id, taskId, createdAt: at },
    // a patient key's shape (intake/duplicate-referrals.ts: a SHA-256 digest in base64url), a new person each time
    patientKey: createHash('sha256').update(String(i)).digest('base64url'),
    audit: (oneAudit ? entities.slice(0, 1) : entities).map((entity) => ({ id: newId(), recorded: at, action: 'C', subtype: 'create', outcome: '0', agent: 'client/bench ods/M85008,A81001,B82001,C83001,D84001,E85001,F86001,G87001,H88001,J89001,K81001,L82001,M83001,N84001', entity, correlationId: newId() }))
  }
}
