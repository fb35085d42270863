import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { acceptReferral, type AcceptedReferral, type IntakeContext } from '../intake/accept-referral.ts'
import { prepareContained, prepareTransaction } from '../intake/prepare-referral.ts'
import { issue, operationOutcome, outcomeError } from '../fhir/operation-outcome.ts'
import { preferReturn } from '../fhir/prefer.ts'
import { etag, sendFhir, sendResource } from '../fhir/reply.ts'
import { transactionResponse } from '../fhir/transaction-bundle.ts'
import { FIT_NOTE_TRIAGE_PROFILE, WORKWELL_REFERRAL_PROFILE } from '../validation/profiles.ts'
import type { RouteDeps } from './route-deps.ts'
import { callerOf, requestAgent } from '../auth/request-agent.ts'
import { summariseForLog } from '../request-log.ts'
import { roles, senderKey } from '../auth/access-policy.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** X-Request-Id, when sent, must be a UUID (BaRS Transactional-integrity). */
function requestIdOf (request: FastifyRequest): string | undefined {
  const raw = request.headers['x-request-id']
  if (raw === undefined) return undefined
  const value = Array.isArray(raw) ? raw[0] ?? '' : raw
  if (!UUID.test(value)) {
    throw outcomeError(400, 'invalid', 'X-Request-Id must be a UUID', 'X-Request-Id')
  }
  return value.toLowerCase()
}

/**
 * The intake context of a request: its X-Request-Id made the sender's own (two clients may
 * send the same id without meeting), and the practices the caller may refer for.
 */
function context (request: FastifyRequest): IntakeContext {
  const requestId = requestIdOf(request)
  const p = callerOf(request)
  return {
    ...(requestId === undefined ? {} : { requestId: senderKey(p, requestId) }),
    correlationId: request.correlationId,
    agent: requestAgent(request),
    referrerOds: p.odsCodes
  }
}

function logAccepted (request: FastifyRequest, accepted: AcceptedReferral): void {
  summariseForLog(request, 'referral accepted', {
    serviceRequestId: accepted.serviceRequest.id,
    taskId: accepted.task.id,
    partnership: accepted.partnershipId,
    outcome: accepted.triage.outcome,
    priority: accepted.triage.priority,
    queued: accepted.queuedForDelivery
  })
}

export async function referralRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const intake = { store: deps.store, validator: deps.validator, routing: deps.routing, triageRules: deps.triageRules, clock: deps.clock, newId: deps.newId, requestIdStaleMs: deps.config.requestIdStaleMs, duplicates: deps.config.duplicates, ...(deps.newReference === undefined ? {} : { newReference: deps.newReference }) }

  app.post('/fhir/ServiceRequest', {
    config: { access: roles('referrer'), referralBody: true, fhir: { type: 'ServiceRequest', interaction: 'create', profiles: [WORKWELL_REFERRAL_PROFILE] } }
  }, async (request, reply: FastifyReply) => {
    const ctx = context(request)
    const accepted = await acceptReferral(intake, prepareContained(deps, request.body), ctx)
    logAccepted(request, accepted)
    const sr = accepted.serviceRequest
    reply
      .header('Location', `${deps.config.baseUrl}/ServiceRequest/${sr.id}/_history/${sr.versionId}`)
      .header('Link', `<${deps.config.baseUrl}/Task/${accepted.task.id}>; rel="related"; title="triage Task"`)
    const prefer = preferReturn(request.headers.prefer)
    if (prefer === 'minimal') {
      await reply.code(201).header('ETag', etag(sr.versionId)).header('Last-Modified', new Date(sr.lastUpdated).toUTCString()).send()
      return
    }
    if (prefer === 'OperationOutcome') {
      reply.header('ETag', etag(sr.versionId))
      await sendFhir(reply, operationOutcome([issue('information', 'informational',
        `Created ServiceRequest/${sr.id}; triage Task/${accepted.task.id} (${accepted.triage.outcome})`, 'ServiceRequest')]), 201)
      return
    }
    await sendResource(reply, sr, 201)
  })

  app.post('/fhir', {
    config: { access: roles('referrer'), referralBody: true, fhir: { interaction: 'transaction' } }
  }, async (request, reply) => {
    const ctx = context(request)
    const { prepared, order } = prepareTransaction(deps, request.body)
    const accepted = await acceptReferral(intake, prepared, ctx)
    logAccepted(request, accepted)
    const byId = new Map(accepted.stored.map((s) => [s.id, s]))
    const inOrder = order.map((id) => byId.get(id)).filter((s) => s !== undefined)
    reply.header('Link', `<${deps.config.baseUrl}/Task/${accepted.task.id}>; rel="related"; title="triage Task"`)
    const response = transactionResponse(inOrder, deps.newId())
    // the ServiceRequest as stored, in its entry (R4 transaction-response entries may carry
    // the resource): its identifiers hold the referral reference, which every door answers with
    const sr = response.entry?.find((e) => e.response?.location?.startsWith(`ServiceRequest/${accepted.serviceRequest.id}/`))
    if (sr !== undefined) sr.resource = accepted.serviceRequest.resource
    await sendFhir(reply, response)
  })

  app.post('/fhir/ServiceRequest/$triage', {
    config: { access: roles('referrer'), referralBody: true, fhir: { type: 'ServiceRequest', profiles: [FIT_NOTE_TRIAGE_PROFILE], operation: { name: 'triage', definition: 'https://fhir.workwell.example/OperationDefinition/ServiceRequest-triage' } } }
  }, async (request, reply) => {
    const ctx = context(request)
    const body = request.body as { resourceType?: unknown } | null
    const prepared = body !== null && typeof body === 'object' && body.resourceType === 'Bundle'
      ? prepareTransaction(deps, body, FIT_NOTE_TRIAGE_PROFILE).prepared
      : prepareContained(deps, body, FIT_NOTE_TRIAGE_PROFILE)
    const accepted = await acceptReferral(intake, prepared, ctx)
    logAccepted(request, accepted)
    reply.header('Content-Location', `${deps.config.baseUrl}/Task/${accepted.task.id}/_history/1`)
    await sendResource(reply, accepted.task, 200)
  })
}
