/**
 * The durable floor of the intake bench (the most these writes allow): bare
 * Fastify plus exactly the gateway's durable writes, and nothing else. Each POST is parsed,
 * stamped and saved with the gateway's own store (SQLite, WAL, synchronous=FULL, group commit
 * on the writer thread, the checkpointer thread): the ServiceRequest, its triage Task, the
 * Task's search row, the outbox row when the gateway would deliver, the audit records and the patient key,
 * in one transaction before the 201. The Task for each body is worked out once at start with
 * the gateway's own decision (referral/decide-referral.ts), so no request pays for auth, validation, routing, triage or
 * logging. Whatever this server reaches against bare Fastify is the most the gateway could
 * reach on the same machine with the same durability.
 *
 *   FLOOR_BODIES=bodies.json WORKWELL_DATA_DIR=dir node bench/durable-floor-server.ts
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import Fastify from 'fastify'
import type { Reference, ServiceRequest, Task } from '@medplum/fhirtypes'
import { auditRecord } from '../src/audit/audit-record.ts'
import { loadConfig } from '../src/config.ts'
import { odsCodeOf } from '../src/fhir/ods-reference.ts'
import { referralScope } from '../src/intake/accept-referral.ts'
import { patientKey } from '../src/intake/duplicate-referrals.ts'
import { decideReferral } from '../src/referral/decide-referral.ts'
import { loadDecisionTables } from '../src/referral/load-decision-tables.ts'
import { containedPackage, patientByIdentifier } from '../src/referral/referral-package.ts'
import { referenceGenerator, referenceIdentifier, withReference } from '../src/reference/referral-reference.ts'
import { loadPartnerships } from '../src/routing/load-partnerships.ts'
import { openThreadedSqliteStore } from '../src/store/threaded-sqlite-store.ts'
import type { StoredResource } from '../src/store/store.ts'
import { timeOrderedIds } from '../src/time-ordered-id.ts'
import { TEMPLATE_HEADER } from './fresh-patients.ts'

interface Planned { task: Task, owner: string, deliver: boolean }

const config = loadConfig(process.env, process.cwd())
const bodies = JSON.parse(readFileSync(process.env.FLOOR_BODIES ?? '', 'utf8')) as string[]
const partnerships = await loadPartnerships(config.mappingsDir, config.partnerUrls)
const tables = await loadDecisionTables(config.mappingsDir, partnerships.values())
const now = new Date()

/**
 * The gateway's triage of each template body, done once, by the template's index: the load
 * generator sends each with a new patient's NHS number (fresh-patients.ts), which triage does not read.
 */
const planned: Planned[] = []
for (const body of bodies) {
  const sr = JSON.parse(body) as ServiceRequest
  // the gateway's own decision (a body that does not route throws here, at start)
  const { task, route, deliver } = decideReferral(tables, containedPackage(sr), { taskId: 'planned', serviceRequestId: 'planned', patient: patientByIdentifier(sr) }, now)
  planned.push({ task, owner: route.partnership.id, deliver })
}

const store = await openThreadedSqliteStore({ file: path.join(config.dataDir, 'workwell.sqlite') })
const newId = timeOrderedIds()
const newReference = referenceGenerator()
// the audit agent the gateway writes for the bench's client: its id and every practice its token names
const agent = `client/bench ods/${[...new Set(bodies.map((b) => odsCodeOf((JSON.parse(b) as ServiceRequest).requester)))].join(',')}`
const app = Fastify({ logger: false, bodyLimit: 1048576 })
app.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, (_req, body, done) => {
  try {
    done(null, { text: body, resource: JSON.parse(body as string) as ServiceRequest })
  } catch (err) {
    done(err as Error)
  }
})
// the write part: the gateway's rows, column for column (the referral reference on the
// ServiceRequest, the Task and its search row; the access scope; the audit records with a
// correlation id and the caller), so the floor falls or rises with the gateway's write set
app.post('/fhir/ServiceRequest', async (request, reply) => {
  const { resource } = request.body as { resource: ServiceRequest }
  const plan = planned[Number(request.headers[TEMPLATE_HEADER])]
  const nhsNumber = patientByIdentifier(resource).identifier?.value
  if (plan === undefined || nhsNumber === undefined) return reply.code(422).send({ resourceType: 'OperationOutcome' })
  const at = new Date()
  const stamp = at.toISOString()
  const id = newId()
  const taskId = newId()
  const reference = newReference()
  const correlationId = newId()
  const sr = { ...withReference(resource, reference), id, meta: { ...resource.meta, versionId: '1', lastUpdated: stamp } }
  const task: Task = {
    ...plan.task,
    id: taskId,
    identifier: [referenceIdentifier(reference)],
    basedOn: [{ reference: `ServiceRequest/${id}` }],
    focus: { reference: `ServiceRequest/${id}` } as Reference,
    note: [{ time: stamp, text: `Referral reference ${reference}. ${plan.task.note?.[0]?.text ?? ''}` }],
    meta: { ...plan.task.meta, versionId: '1', lastUpdated: stamp }
  }
  const stored: StoredResource[] = [
    { resourceType: 'ServiceRequest', id, versionId: '1', lastUpdated: stamp, resource: sr, json: JSON.stringify(sr) },
    { resourceType: 'Task', id: taskId, versionId: '1', lastUpdated: stamp, resource: task, json: JSON.stringify(task) }
  ]
  await store.saveReferral({
    resources: stored,
    task: { id: taskId, basedOn: `ServiceRequest/${id}`, owner: plan.owner, status: task.status, lastUpdated: stamp, reference },
    serviceRequestId: id,
    scope: referralScope(id, resource.requester, plan.owner),
    ...(plan.deliver ? { outbox: { id: newId(), partnershipId: plan.owner, serviceRequestId: id, taskId, createdAt: stamp } } : {}),
    audit: stored.map((s) => auditRecord(newId(), at, { action: 'C', subtype: 'create', agent, entity: `${s.resourceType}/${s.id}`, correlationId })),
    patientKey: patientKey(nhsNumber, config.duplicates.key)
  })
  return reply.code(201).header('content-type', 'application/fhir+json').send(stored[0]?.json)
})
app.get('/health/ready', async () => ({ status: 'ready' }))
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
process.stdout.write(`listening on ${address}\n`)
process.on('SIGTERM', () => {
  app.close().then(async () => { await store.close() }).then(() => process.exit(0), () => process.exit(1))
})
