import type { FastifyInstance } from 'fastify'
import type { OperationOutcomeIssue, Parameters } from '@medplum/fhirtypes'
import { issue, operationOutcome, outcomeError } from '../fhir/operation-outcome.ts'
import { sendFhir } from '../fhir/reply.ts'
import type { RouteDeps } from './route-deps.ts'
import { ANY_ROLE } from '../auth/access-policy.ts'

const DEFINITION = 'http://hl7.org/fhir/OperationDefinition/Resource-validate'
const VALIDATE_TYPES = ['ServiceRequest', 'Patient', 'Observation', 'Consent', 'Condition', 'Task', 'Bundle'] as const

/** Reads the body of $validate: a resource, or Parameters with `resource` and `profile` (R4 resource-operation-validate). */
function unwrap (body: unknown): { resource: unknown, profile?: string } {
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
  return profile === undefined ? { resource } : { resource, profile }
}

export async function validateRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const run = (body: unknown, expectedType?: string): OperationOutcomeIssue[] => {
    const { resource, profile } = unwrap(body)
    const issues: OperationOutcomeIssue[] = []
    const actual = (resource as { resourceType?: unknown }).resourceType
    if (expectedType !== undefined && actual !== expectedType) {
      issues.push(issue('error', 'invalid', `$validate on ${expectedType} was given ${typeof actual === 'string' ? actual : 'no resourceType'}`, `${expectedType}.resourceType`))
    }
    issues.push(...deps.validator.validate(resource, profile === undefined ? undefined : { profile }))
    if (issues.length === 0) {
      issues.push(issue('information', 'informational', 'No issues found'))
    }
    return issues
  }

  // $validate always answers 200 with an OperationOutcome; 4xx only when it cannot run (R4 resource-operation-validate).
  app.post('/fhir/$validate', { config: { access: ANY_ROLE, fhir: { operation: { name: 'validate', definition: DEFINITION } } } }, async (request, reply) => {
    await sendFhir(reply, operationOutcome(run(request.body)))
  })
  for (const type of VALIDATE_TYPES) {
    app.post(`/fhir/${type}/$validate`, { config: { access: ANY_ROLE, fhir: { type, operation: { name: 'validate', definition: DEFINITION } } } }, async (request, reply) => {
      await sendFhir(reply, operationOutcome(run(request.body, type)))
    })
  }
}
