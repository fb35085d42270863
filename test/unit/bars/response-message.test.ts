import type { MessageHeader } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { responseMessage } from '../../../src/bars/response-message.ts'
import { barsCode, asBarsError, OperationOutcomeError, issue, withBarsCode } from '../../../src/fhir/operation-outcome.ts'

const task = { resourceType: 'Task', id: 't-1', versionId: '2', lastUpdated: '2026-01-01T00:00:00.000Z', resource: { resourceType: 'Task' as const, id: 't-1', status: 'accepted' as const, intent: 'order' as const } }
const input = { id: 'r-1', headerId: 'h-1', outcomeId: 'o-1', now: new Date('2026-01-02T00:00:00.000Z'), requestBundleId: 'req-1', destination: 'a:gp|2', source: 'a:own|1', baseUrl: 'http://gw/fhir', softwareVersion: '1', task }

describe('responseMessage', () => {
  it('answers the request Bundle.id with the Task in focus', () => {
    const b = responseMessage(input)
    expect(b).toMatchObject({ id: 'r-1', type: 'message', timestamp: '2026-01-02T00:00:00.000Z' })
    const h = b.entry?.[0]?.resource as MessageHeader
    expect(h.response).toEqual({ identifier: 'req-1', code: 'ok' })
    expect(h.focus).toEqual([{ reference: 'Task/t-1' }])
    expect(h.destination).toEqual([{ endpoint: 'a:gp|2' }])
    expect(b.entry?.map((e) => e.fullUrl)).toEqual(['urn:uuid:h-1', 'http://gw/fhir/Task/t-1'])
  })

  it('adds the ServiceRequest and an OperationOutcome of warnings when given', () => {
    const b = responseMessage({ ...input, serviceRequest: { ...task, resourceType: 'ServiceRequest', id: 's-1', resource: { resourceType: 'ServiceRequest', id: 's-1', status: 'active', intent: 'order', subject: {} } }, warnings: [issue('warning', 'informational', 'note')] })
    expect(b.entry?.map((e) => e.resource?.resourceType)).toEqual(['MessageHeader', 'Task', 'ServiceRequest', 'OperationOutcome'])
    expect(responseMessage({ ...input, warnings: [] }).entry).toHaveLength(2)
  })
})

describe('BaRS error codes', () => {
  it('maps statuses to REC_ codes, falling back by class', () => {
    expect([400, 404, 406, 409, 422, 425, 501, 503, 413, 502].map(barsCode)).toEqual(['REC_BAD_REQUEST', 'REC_NOT_FOUND', 'REC_NOT_ACCEPTABLE', 'REC_CONFLICT', 'REC_UNPROCESSABLE_ENTITY', 'REC_TOO_EARLY', 'REC_NOT_IMPLEMENTED', 'REC_SERVICE_UNAVAILABLE', 'REC_BAD_REQUEST', 'REC_SERVER_ERROR'])
  })

  it('codes the error issues of an error once, and leaves warnings alone', () => {
    const coded = asBarsError(new OperationOutcomeError(422, [issue('error', 'invalid', 'x', 'A'), issue('warning', 'informational', 'y')], { 'Retry-After': '1' }))
    expect(coded.issues[0]?.details?.coding).toEqual([{ system: 'https://fhir.nhs.uk/CodeSystem/http-error-codes', code: 'REC_UNPROCESSABLE_ENTITY', display: '422 - REC_UNPROCESSABLE_ENTITY' }])
    expect(coded.issues[1]?.details).toBeUndefined()
    expect(coded.headers).toEqual({ 'Retry-After': '1' })
    expect(withBarsCode(coded.issues[0]!, 400)).toBe(coded.issues[0])
  })
})
