import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { auditRecord } from '../audit/audit-record.ts'
import { attemptAgent, callerOf } from '../auth/request-agent.ts'
import { auditAgent, readBarsHeaders, type BarsHeaders } from '../bars/headers.ts'
import { cancelReferral } from '../bars/cancel-referral.ts'
import { changeReferral } from '../bars/change-referral.ts'
import { loadEndpointCatalogue, mayUseEndpoint } from '../bars/endpoint-catalogue.ts'
import { referralIdFor } from '../bars/envelope.ts'
import { readMessage, type BarsMessage } from '../bars/message-bundle.ts'
import { prepareMessageReferral } from '../bars/message-referral.ts'
import { responseMessage } from '../bars/response-message.ts'
import { fhirErrorHandler, toOutcomeError } from '../fhir/error-handler.ts'
import { asBarsError, issue, OperationOutcomeError, outcomeError } from '../fhir/operation-outcome.ts'
import { sendFhir } from '../fhir/reply.ts'
import { acceptReferral, type IntakeContext, type IntakeDeps } from '../intake/accept-referral.ts'
import type { StoredResource } from '../store/store.ts'
import type { RouteDeps } from './route-deps.ts'
import { summariseForLog } from '../request-log.ts'
import { roles, senderId, senderKey } from '../auth/access-policy.ts'

/** HL7's definition of the operation (R4 messageheader-operation-process-message). */
const PROCESS_MESSAGE = 'http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message'
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/

/**
 * POST /fhir/$process-message: the gateway as an NHS BaRS receiver (NHS BaRS API 1.4.0).
 * A servicerequest-request message goes through the same intake as every referral
 * (accept-referral.ts); the synchronous answer is a servicerequest-response message. Every
 * error is an OperationOutcome with a BaRS REC_ code, and every attempt is audited.
 */
export async function processMessageRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const catalogue = await loadEndpointCatalogue(deps.config.bars.endpointCatalogue)
  const ownServiceId = deps.config.bars.serviceId
  const intake: IntakeDeps = { store: deps.store, validator: deps.validator, routing: deps.routing, triageRules: deps.triageRules, clock: deps.clock, newId: deps.newId, requestIdStaleMs: deps.config.requestIdStaleMs, duplicates: deps.config.duplicates, ...(deps.newReference === undefined ? {} : { newReference: deps.newReference }) }
  const headersOf = new WeakMap<FastifyRequest, BarsHeaders>()
  const messageOf = new WeakMap<FastifyRequest, BarsMessage>()

  /**
   * Who sent it: the token's client (or, refused before one was verified, "anonymous" and the
   * address), then what the NHSD headers say of the sender (BaRS NHSD-End-User-Organisation): the client is
   * what the gateway verified, the headers only what the sender claims.
   */
  const agentOf = (request: FastifyRequest, h: BarsHeaders | undefined): string => {
    // no principal and no refusal: the route runs without the auth plugin (route unit tests)
    const verified = request.principal !== null && request.principal !== undefined
    const caller = verified || request.accessRefused !== null ? attemptAgent(request) : undefined
    // through the BaRS proxy the headers are the verified caller's own, already in `caller`
    const claimed = h === undefined || (verified && request.proxyIdentity !== null) ? 'unauthenticated' : auditAgent(h)
    return caller === undefined ? claimed : claimed === 'unauthenticated' ? caller : `${caller} ${claimed}`
  }

  /** One audit event per message, whatever its fate (BaRS NFRs: full audit of all access attempts). */
  const auditAttempt = async (request: FastifyRequest, outcome: '0' | '4' | '8'): Promise<void> => {
    const h = headersOf.get(request)
    // a refused message still names its Bundle.id when it has a valid one (an id, never content)
    const bodyId = (request.body as { id?: unknown } | null | undefined)?.id
    const bundleId = messageOf.get(request)?.bundleId ?? (typeof bodyId === 'string' && FHIR_ID.test(bodyId) ? bodyId : undefined)
    await deps.store.appendAudit(auditRecord(deps.newId(), deps.clock.now(), {
      action: 'E',
      subtype: 'process-message',
      outcome,
      agent: agentOf(request, h),
      entity: bundleId === undefined ? 'Bundle' : `Bundle/${bundleId}`,
      correlationId: h?.correlationId ?? request.correlationId
    }))
  }

  const barsErrors = async (err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const outcome = asBarsError(toOutcomeError(err))
    try {
      await auditAttempt(request, outcome.status >= 500 ? '8' : '4')
      // this route's own record is the refused attempt's one record
      request.accessRefused = null
    } catch (auditErr) {
      request.log.error({ errName: auditErr instanceof Error ? auditErr.name : typeof auditErr }, 'process-message audit failed')
    }
    await fhirErrorHandler(outcome as unknown as FastifyError, request, reply)
  }

  app.post('/fhir/$process-message', {
    // a BaRS sender is the referring system
    config: { access: roles('referrer'), referralBody: true, fhir: { operation: { name: 'process-message', definition: PROCESS_MESSAGE } } },
    errorHandler: barsErrors,
    // the headers are checked before the body is read: a message without its ids is not parsed
    onRequest: async (request) => { headersOf.set(request, readBarsHeaders(request.headers, ownServiceId)) }
  }, async (request, reply) => {
    const headers = headersOf.get(request) ?? readBarsHeaders(request.headers, ownServiceId)
    const message = readMessage(request.body, ownServiceId)
    messageOf.set(request, message)
    const p = callerOf(request)
    if (!mayUseEndpoint(catalogue, message.sourceEndpoint, p.odsCodes)) {
      throw outcomeError(403, 'forbidden', 'MessageHeader.source.endpoint must be an endpoint of an organisation this client acts for (by its ODS code, or its entry in the endpoint catalogue)', 'Bundle.entry[0].resource.source.endpoint')
    }
    // X-Request-Id and Bundle.id are the sender's own keys: another client's same values
    // name nothing of this one's
    const ctx: IntakeContext & { requestId: string } = { requestId: senderKey(p, headers.requestId), correlationId: headers.correlationId, agent: agentOf(request, headers), referrerOds: p.odsCodes }
    const serviceRequestId = referralIdFor(senderId(p), message.sourceEndpoint, message.bundleId)
    const warnings: OperationOutcomeIssue[] = []
    if (catalogue.resolve(message.sourceEndpoint) === undefined) {
      warnings.push(issue('warning', 'not-found', `${message.sourceEndpoint} is not in this gateway's endpoint catalogue: later outcomes cannot be sent back to it as messages`, 'Bundle.entry[0].resource.source.endpoint'))
    }

    let task: StoredResource
    let serviceRequest: StoredResource | undefined
    if (message.cancels) {
      const cancelled = await cancelReferral({ ...intake, partnerships: deps.partnerships }, message, serviceRequestId, ctx)
      task = cancelled.task
      serviceRequest = cancelled.serviceRequest
      summariseForLog(request, 'bars referral cancelled', { serviceRequestId, taskId: task.id, reason: message.reason, status: 'cancelled', partnershipNotice: cancelled.partnership })
    } else if (message.reason === 'update') {
      const { prepared, warnings: found } = prepareMessageReferral(message, deps.validator, deps.newId, serviceRequestId, headers.correlationId)
      warnings.push(...found)
      const changed = await changeReferral(intake, message, prepared, ctx)
      task = changed.task
      serviceRequest = changed.serviceRequest
      summariseForLog(request, 'bars referral changed', { serviceRequestId, taskId: task.id, reason: message.reason, status: task.resource.resourceType === 'Task' ? task.resource.status : undefined, queued: changed.queuedForDelivery })
    } else {
      const { prepared, warnings: found } = prepareMessageReferral(message, deps.validator, deps.newId, serviceRequestId, headers.correlationId)
      warnings.push(...found)
      try {
        const accepted = await acceptReferral(intake, prepared, ctx)
        task = accepted.task
        serviceRequest = accepted.serviceRequest
        summariseForLog(request, 'bars referral accepted', { serviceRequestId, taskId: task.id, partnership: accepted.partnershipId, outcome: accepted.triage.outcome, queued: accepted.queuedForDelivery })
      } catch (err) {
        // Bundle.id is kept across messages about one referral: a second "new" with it is a
        // conflict (found here, after the X-Request-Id claim, so a repeat still gets 409 duplicate)
        if (!(err instanceof OperationOutcomeError) && await deps.store.readResource('ServiceRequest', serviceRequestId) !== undefined) {
          throw outcomeError(409, 'conflict', `A referral was already received in a message with Bundle.id ${message.bundleId}; change or cancel it with reason update`, 'Bundle.id')
        }
        throw err
      }
    }
    await auditAttempt(request, '0')
    await sendFhir(reply, responseMessage({
      id: deps.newId(),
      headerId: deps.newId(),
      outcomeId: deps.newId(),
      now: deps.clock.now(),
      requestBundleId: message.bundleId,
      destination: message.sourceEndpoint,
      source: ownServiceId,
      baseUrl: deps.config.baseUrl,
      softwareVersion: deps.version,
      task,
      ...(serviceRequest === undefined ? {} : { serviceRequest }),
      warnings
    }))
  })
}
