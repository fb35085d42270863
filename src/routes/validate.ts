import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { OperationOutcomeIssue, Parameters } from '@medplum/fhirtypes'
import { issue, operationOutcome, OperationOutcomeError, outcomeError } from '../fhir/operation-outcome.ts'
import { sendFhir } from '../fhir/reply.ts'
import { decideIntake } from '../intake/accept-referral.ts'
import { prepareContained, prepareTransaction } from '../intake/prepare-referral.ts'
import type { RouteDeps } from './route-deps.ts'
import { ANY_ROLE } from '../auth/access-policy.ts'
import { callerOf } from '../auth/request-agent.ts'

const DEFINITION = 'http://hl7.org/fhir/OperationDefinition/Resource-validate'
const VALIDATE_TYPES = ['ServiceRequest', 'Patient', 'Observation', 'Consent', 'Condition', 'Task', 'Bundle'] as const
const DOCUMENTATION = 'Without a mode, general-purpose: base R4 and whatever profiles the resource claims or the profile parameter names. ' +
  'With mode=create (a Parameters "mode" or the query), exactly what a create would answer: a ServiceRequest as POST /fhir/ServiceRequest ' +
  '(WorkWell-Referral, the requester practice, the Patient, routing), a Bundle as a transaction (POST /fhir); nothing is stored.'

interface ValidateRequest { resource: unknown, profile?: string, mode?: string }

/** Reads the body of $validate: a resource, or Parameters with `resource`, `profile` and `mode` (R4 resource-operation-validate). */
function unwrap (body: unknown): ValidateRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw outcomeError(400, 'structure', 'The body must be a FHIR resource or Parameters', 'Parameters')
  }
  const maybe = body as { resourceType?: unknown }
  if (maybe.resourceType !== 'Parameters') return { resource: body }
  const params = (body as Parameters).parameter ?? []
  const resource = params.find((p) => p.name === 'resource')?.resource
  if (resource === undefined) {
    throw outcomeError(400, 'required', 'Parameters must carry a "resource" parameter', 'Parameters.parameter')
  }
  const profileParam = params.find((p) => p.name === 'profile')
  const profile = profileParam?.valueUri ?? profileParam?.valueCanonical
  const mode = params.find((p) => p.name === 'mode')?.valueCode
  return { resource, ...(profile === undefined ? {} : { profile }), ...(mode === undefined ? {} : { mode }) }
}

function modeOf (request: FastifyRequest, asked: ValidateRequest): string | undefined {
  const query = (request.query as { mode?: unknown } | undefined)?.mode
  const mode = asked.mode ?? (typeof query === 'string' ? query : undefined)
  if (mode !== undefined && !['create', 'update', 'delete', 'profile'].includes(mode)) {
    throw outcomeError(400, 'code-invalid', `mode "${mode}" is not a validation mode (create, update, delete, profile)`, 'mode')
  }
  return mode
}

export async function validateRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const general = (asked: ValidateRequest, expectedType?: string): OperationOutcomeIssue[] => {
    const { resource, profile } = asked
    const issues: OperationOutcomeIssue[] = []
    const actual = (resource as { resourceType?: unknown }).resourceType
    if (expectedType !== undefined && actual !== expectedType) {
      issues.push(issue('error', 'invalid', `$validate on ${expectedType} was given ${typeof actual === 'string' ? actual : 'no resourceType'}`, `${expectedType}.resourceType`))
    }
    issues.push(...deps.validator.validate(resource, profile === undefined ? undefined : { profile }))
    return issues
  }

  /**
   * What a create of this resource would answer, without storing it: the same preparation
   * (profile required whether claimed or not) and the same decision as intake. Ids made here
   * are thrown away.
   */
  const asCreate = (request: FastifyRequest, resource: unknown): OperationOutcomeIssue[] => {
    const type = (resource as { resourceType?: unknown }).resourceType
    if (type !== 'ServiceRequest' && type !== 'Bundle') {
      return [issue('error', 'not-supported', `This server creates only ServiceRequest referrals (and transaction Bundles of them), not ${typeof type === 'string' ? type : 'this'}`, 'resourceType')]
    }
    const p = callerOf(request)
    try {
      const prepared = type === 'Bundle' ? prepareTransaction(deps, resource).prepared : prepareContained(deps, resource)
      const decision = decideIntake(deps, prepared, { referrerOds: p.roles.has('referrer') ? p.odsCodes : [] }, { taskId: 'validate' }, deps.clock.now())
      return [issue('information', 'informational', `A create would be accepted: routed to ${decision.route.partnership.id}, triage outcome ${decision.triage.outcome}`)]
    } catch (err) {
      if (err instanceof OperationOutcomeError) return err.issues
      throw err
    }
  }

  const run = (request: FastifyRequest, expectedType?: string): OperationOutcomeIssue[] => {
    const asked = unwrap(request.body)
    const issues = modeOf(request, asked) === 'create' && (expectedType === undefined || expectedType === (asked.resource as { resourceType?: unknown }).resourceType)
      ? asCreate(request, asked.resource)
      : general(asked, expectedType)
    return issues.length === 0 ? [issue('information', 'informational', 'No issues found')] : issues
  }

  // $validate always answers 200 with an OperationOutcome; 4xx only when it cannot run (R4 resource-operation-validate).
  const operation = { name: 'validate', definition: DEFINITION, documentation: DOCUMENTATION }
  app.post('/fhir/$validate', { config: { access: ANY_ROLE, fhir: { operation } } }, async (request, reply) => {
    await sendFhir(reply, operationOutcome(run(request)))
  })
  for (const type of VALIDATE_TYPES) {
    app.post(`/fhir/${type}/$validate`, { config: { access: ANY_ROLE, fhir: { type, operation } } }, async (request, reply) => {
      await sendFhir(reply, operationOutcome(run(request, type)))
    })
  }
}
