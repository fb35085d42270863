import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import Fastify from 'fastify'
import type { AuditEvent, Bundle } from '@medplum/fhirtypes'
import { AUDIT_AGENT_SYSTEM, auditEvent, type AuditQuery } from '../../../src/audit/audit-event.ts'
import { deliveryAudit } from '../../../src/audit/delivery-audit.ts'
import { fhirErrorHandler } from '../../../src/fhir/error-handler.ts'
import { adminAuditRoutes } from '../../../src/routes/admin-audit.ts'
import type { AuditRecord } from '../../../src/store/store.ts'
import { createValidator } from '../../../src/validation/create-validator.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'

const read: AuditRecord = { id: 'a1', recorded: '2026-06-01T12:00:00.000Z', action: 'R', subtype: 'read', outcome: '0', agent: 'client/gp-1 ods/A81001', entity: 'Task/t1', correlationId: 'c-1' }
const delivery: AuditRecord = { id: 'a2', recorded: '2026-06-01T12:01:00.000Z', action: 'E', subtype: 'delivery', outcome: '4', agent: 'partnership/leeds', entity: 'ServiceRequest/s1' }

let validator: ResourceValidator
beforeAll(async () => { validator = await createValidator({ profilesDir: path.resolve(import.meta.dirname, '../../../profiles') }) })

describe('auditEvent', () => {
  it('renders who, what, when and outcome as a valid R4 AuditEvent', () => {
    const e = auditEvent(read)
    expect(e).toMatchObject({
      resourceType: 'AuditEvent',
      type: { code: 'rest' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }],
      action: 'R',
      recorded: read.recorded,
      outcome: '0',
      agent: [{ who: { identifier: { system: AUDIT_AGENT_SYSTEM, value: 'client/gp-1 ods/A81001' } }, requestor: true }],
      entity: [{ what: { reference: 'Task/t1' } }]
    })
    expect(e.extension?.[0]?.valueString).toBe('c-1')
    for (const r of [read, delivery, { ...read, entity: 'Task', subtype: 'search' }]) {
      const errors = validator.validate(auditEvent(r)).filter((i) => i.severity === 'error')
      expect(errors, JSON.stringify(errors)).toStrictEqual([])
    }
  })

  it('gives non-RESTful events a WorkWell type', () => {
    expect(auditEvent(delivery).type.code).toBe('delivery')
    expect(auditEvent({ ...read, entity: 'Task' }).entity?.[0]).toStrictEqual({ what: { display: 'Task' } })
  })
})

describe('GET /admin/AuditEvent', () => {
  it('passes the filters to the store, answers a searchset and audits the search itself', async () => {
    const queries: AuditQuery[] = []
    const appended: AuditRecord[] = []
    const app = Fastify()
    app.setErrorHandler(fhirErrorHandler)
    app.decorateRequest('correlationId', 'corr')
    app.decorateRequest('principal', null)
    let n = 0
    await app.register(adminAuditRoutes, {
      audit: { searchAudit: async (q) => { queries.push(q); return [delivery, read] }, appendAudit: async (e) => { appended.push(e) } },
      baseUrl: 'https://gw.test/fhir',
      clock: { now: () => new Date('2026-06-01T13:00:00Z') },
      newId: () => `id-${++n}`
    })
    const res = await app.inject({ url: '/admin/AuditEvent?entity=Task/t1&agent=ods/A81001&_count=5' })
    expect(res.statusCode).toBe(200)
    const bundle = res.json() as Bundle<AuditEvent>
    expect(bundle.type).toBe('searchset')
    expect(bundle.entry?.map((e) => e.resource?.id)).toStrictEqual(['a2', 'a1'])
    expect(bundle.link?.[0]?.url).toBe('https://gw.test/admin/AuditEvent?entity=Task%2Ft1&agent=ods%2FA81001&_count=5')
    expect(queries).toStrictEqual([{ entity: 'Task/t1', agent: 'ods/A81001', limit: 5 }])
    expect(appended).toMatchObject([{ action: 'E', subtype: 'search', entity: 'AuditEvent', agent: 'unauthenticated' }])
    for (const bad of ['entity=Task/t1%20or%201=1', '_count=0', '_count=5000', 'agent=%3Cscript%3E', 'entity=a&entity=b']) {
      const r = await app.inject({ url: `/admin/AuditEvent?${bad}` })
      expect(r.statusCode, bad).toBe(400)
      expect(r.json().resourceType).toBe('OperationOutcome')
    }
    await app.close()
  })
})

describe('deliveryAudit', () => {
  const row = { id: 'o1', partnershipId: 'leeds', serviceRequestId: 's1', taskId: 't1', createdAt: '2026-06-01T12:00:00.000Z', status: 'pending', attempts: 1, nextAttemptAt: '2026-06-01T12:00:00.000Z', updatedAt: '2026-06-01T12:00:00.000Z' } as const
  const at = new Date('2026-06-01T12:00:01Z')

  it('records each attempt with its outcome, to whom and for which referral', () => {
    expect(deliveryAudit('a', at, row, { id: 'o1', outcome: 'delivered', responseStatus: 201 })).toStrictEqual({ id: 'a', recorded: '2026-06-01T12:00:01.000Z', action: 'E', subtype: 'delivery', outcome: '0', agent: 'partnership/leeds', entity: 'ServiceRequest/s1' })
    expect(deliveryAudit('b', at, row, { id: 'o1', outcome: 'retry', nextAttemptAt: at, error: 'HTTP 503' })?.outcome).toBe('4')
    expect(deliveryAudit('c', at, row, { id: 'o1', outcome: 'dead-letter', error: 'HTTP 400' })?.outcome).toBe('8')
  })

  it('names a BaRS response\'s destination endpoint as the agent', () => {
    expect(deliveryAudit('e', at, { ...row, partnershipId: 'bars:https://fhir.nhs.uk/Id/dos-service-id|1' }, { id: 'o1', outcome: 'delivered' })).toMatchObject({ subtype: 'bars-response-delivery', agent: 'bars:https://fhir.nhs.uk/Id/dos-service-id|1' })
  })

  it('leaves no record for a row that was not attempted', () => {
    expect(deliveryAudit('d', at, row, { id: 'o1', outcome: 'deferred', nextAttemptAt: at })).toBeUndefined()
  })
})
