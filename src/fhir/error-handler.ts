import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { OperationOutcomeError, outcomeError } from './operation-outcome.ts'
import { FHIR_JSON } from './media-type.ts'
import { errorFields } from '../error-fields.ts'

/**
 * Maps every error — ours, Fastify's, or an unexpected throw — to an OperationOutcome with the
 * status FHIR servers use (R4 http.html §3.1.0.4). Unexpected errors are logged by id and
 * code only; their messages never reach the client.
 */
export function toOutcomeError (err: unknown, resourceType?: string): OperationOutcomeError {
  if (err instanceof OperationOutcomeError) return err
  const e = (err ?? {}) as Partial<FastifyError> & { message?: string }
  if (e.validation !== undefined && e.validationContext !== undefined) return validationOutcome(e.validation, e.validationContext, resourceType)
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // the route's resource; the doors without one (transaction, $process-message) take Bundles
      return outcomeError(413, 'too-costly', 'The request body is larger than this server accepts', resourceType ?? 'Bundle')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return outcomeError(415, 'not-supported', 'Content-Type must be application/fhir+json', 'Content-Type')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return outcomeError(400, 'required', 'The request body is empty; a FHIR resource was expected', 'Resource')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return outcomeError(400, 'invalid', 'Content-Length does not match the body', 'Content-Length')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return outcomeError(400, 'structure', 'The request body is not valid JSON', 'Resource')
    default:
  }
  if (err instanceof SyntaxError) {
    // secure-json-parse reports prototype poisoning as a SyntaxError too (fastify ContentTypeParser.md).
    const poisoned = /prototype/i.test(err.message)
    return outcomeError(400, poisoned ? 'security' : 'structure',
      poisoned ? 'The body contains a forbidden __proto__ or constructor.prototype key' : 'The request body is not valid JSON', 'Resource')
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500
  if (status >= 400 && status < 500) {
    return outcomeError(status, status === 429 ? 'throttled' : 'invalid', e.message ?? 'Bad request')
  }
  return outcomeError(500, 'exception', 'An internal error occurred; it has been logged with this request id')
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number]

/** Request headers as HTTP writes them (Fastify hands them lower-cased). */
function headerName (name: string): string {
  return name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('-')
}

/**
 * A route's params, querystring or headers schema refused the request (request-schema.ts):
 * 400 naming what was wrong, as FHIR names an element — the id as `Task.id`, a search
 * parameter or a header by its name.
 */
function validationOutcome (issues: readonly ValidationIssue[], context: string, resourceType: string | undefined): OperationOutcomeError {
  const first = issues[0]
  const params = (first?.params ?? {}) as { missingProperty?: unknown }
  const name = typeof params.missingProperty === 'string' ? params.missingProperty : (first?.instancePath ?? '').split('/')[1] ?? ''
  let expression: string
  let what: string
  if (context === 'params') {
    expression = resourceType === undefined ? name : `${resourceType}.${name}`
    what = `The ${name} in the URL`
  } else if (context === 'headers') {
    expression = headerName(name)
    what = `The ${expression} header`
  } else {
    expression = name === '' ? 'Resource' : name
    what = context === 'querystring' ? `The search parameter ${name}` : `The request body at ${expression}`
  }
  return outcomeError(400, first?.keyword === 'required' ? 'required' : 'invalid', `${what} is not valid: it ${first?.message ?? 'does not match'}`, expression)
}

export async function fhirErrorHandler (err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const outcome = toOutcomeError(err, request.routeOptions.config.fhir?.type)
  if (outcome.status >= 500) {
    request.log.error(errorFields(err), 'request failed')
  } else {
    request.log.info({ status: outcome.status, issueCode: outcome.issues[0]?.code }, 'request refused')
  }
  await reply.code(outcome.status).headers(outcome.headers).type(FHIR_JSON).send(outcome.toOperationOutcome())
}
