import { errorCodes } from 'fastify'
import { describe, expect, it } from 'vitest'
import { toOutcomeError } from '../../../src/fhir/error-handler.ts'
import { OperationOutcomeError, outcomeError } from '../../../src/fhir/operation-outcome.ts'

describe('toOutcomeError', () => {
  it('passes an OperationOutcomeError through unchanged', () => {
    const err = outcomeError(422, 'business-rule', 'no partnership', 'Patient.address.postalCode')
    expect(toOutcomeError(err)).toBe(err)
  })

  it('maps a params, querystring or headers schema failure to 400 naming the element, parameter or header', () => {
    const failure = (context: string, issue: { instancePath: string, keyword: string, params: Record<string, unknown>, message: string }): Error =>
      Object.assign(new Error(issue.message), { statusCode: 400, code: 'FST_ERR_VALIDATION', validation: [{ schemaPath: '#', ...issue }], validationContext: context })
    const cases: Array<[Error, string | undefined, string, string]> = [
      [failure('params', { instancePath: '/id', keyword: 'pattern', params: {}, message: 'must match pattern' }), 'Task', 'invalid', 'Task.id'],
      [failure('params', { instancePath: '/id', keyword: 'pattern', params: {}, message: 'must match pattern' }), undefined, 'invalid', 'id'],
      [failure('querystring', { instancePath: '/_count', keyword: 'type', params: {}, message: 'must be integer' }), 'Task', 'invalid', '_count'],
      [failure('querystring', { instancePath: '/_lastUpdated/1', keyword: 'maxLength', params: {}, message: 'must NOT have more than 1024 characters' }), 'Task', 'invalid', '_lastUpdated'],
      [failure('querystring', { instancePath: '', keyword: 'required', params: { missingProperty: 'identifier' }, message: 'must have required property' }), undefined, 'required', 'identifier'],
      [failure('headers', { instancePath: '/x-request-id', keyword: 'pattern', params: {}, message: 'must match pattern' }), 'ServiceRequest', 'invalid', 'X-Request-Id'],
      [failure('headers', { instancePath: '/if-match', keyword: 'maxLength', params: {}, message: 'must NOT have more than 200 characters' }), 'Task', 'invalid', 'If-Match']
    ]
    for (const [err, type, code, expression] of cases) {
      const out = toOutcomeError(err, type)
      expect(out.status, expression).toBe(400)
      expect(out.issues[0], expression).toMatchObject({ severity: 'error', code, expression: [expression] })
    }
  })

  it('names the route\'s resource as what is too large, and Bundle on the doors without one', () => {
    expect(toOutcomeError(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), 'ServiceRequest').issues[0]?.expression).toEqual(['ServiceRequest'])
    expect(toOutcomeError(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE()).issues[0]?.expression).toEqual(['Bundle'])
  })

  it('maps each Fastify body error to its status, issue code and expression', () => {
    const cases: Array<[Error, number, string, string, RegExp]> = [
      [new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), 413, 'too-costly', 'Bundle', /larger than this server accepts/],
      [new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), 415, 'not-supported', 'Content-Type', /application\/fhir\+json/],
      [new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), 400, 'required', 'Resource', /body is empty/],
      [new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), 400, 'invalid', 'Content-Length', /Content-Length does not match/],
      [new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), 400, 'structure', 'Resource', /not valid JSON/]
    ]
    for (const [err, status, code, expression, diagnostics] of cases) {
      const out = toOutcomeError(err)
      const label = (err as Error & { code: string }).code
      expect(out, label).toBeInstanceOf(OperationOutcomeError)
      expect(out.status, label).toBe(status)
      expect(out.issues, label).toHaveLength(1)
      expect(out.issues[0], label).toMatchObject({ severity: 'error', code, expression: [expression] })
      expect(out.issues[0]?.diagnostics, label).toMatch(diagnostics)
    }
  })

  it('maps a JSON SyntaxError to 400 structure', () => {
    let syntax: unknown
    try {
      JSON.parse('{"resourceType":')
    } catch (err) {
      syntax = err
    }
    const out = toOutcomeError(syntax)
    expect(out.status).toBe(400)
    expect(out.issues).toStrictEqual([{ severity: 'error', code: 'structure', diagnostics: 'The request body is not valid JSON', expression: ['Resource'] }])
  })

  it('maps prototype poisoning to 400 security', () => {
    // the SyntaxError secure-json-parse throws for __proto__ and constructor.prototype keys
    const out = toOutcomeError(new SyntaxError('Object contains forbidden prototype property'))
    expect(out.status).toBe(400)
    expect(out.issues).toStrictEqual([{
      severity: 'error',
      code: 'security',
      diagnostics: 'The body contains a forbidden __proto__ or constructor.prototype key',
      expression: ['Resource']
    }])
  })

  it('keeps the status and message of another 4xx, and throttles 429', () => {
    const notFound = Object.assign(new Error('Route GET:/fhir/Nope not found'), { statusCode: 404 })
    expect(toOutcomeError(notFound).status).toBe(404)
    expect(toOutcomeError(notFound).issues).toStrictEqual([{ severity: 'error', code: 'invalid', diagnostics: 'Route GET:/fhir/Nope not found' }])
    const throttled = Object.assign(new Error('Rate limit exceeded'), { statusCode: 429 })
    expect(toOutcomeError(throttled).status).toBe(429)
    expect(toOutcomeError(throttled).issues[0]).toMatchObject({ code: 'throttled', diagnostics: 'Rate limit exceeded' })
    expect(toOutcomeError(new errorCodes.FST_ERR_BAD_URL('/%zz')).status).toBe(400)
  })

  it('answers 500 for anything else, without leaking its message', () => {
    const secret = 'SQLITE_CORRUPT at /var/lib/workwell/data.db: password=hunter2'
    for (const err of [
      new Error(secret),
      new TypeError(secret),
      Object.assign(new Error(secret), { statusCode: 503 }),
      Object.assign(new Error(secret), { statusCode: 302 }),
      Object.assign(new Error(secret), { statusCode: '400' }),
      Object.assign(new Error(secret), { code: 'FST_ERR_SOMETHING_ELSE' }),
      secret,
      undefined,
      null
    ]) {
      const out = toOutcomeError(err)
      expect(out.status).toBe(500)
      expect(out.issues).toStrictEqual([{
        severity: 'error',
        code: 'exception',
        diagnostics: 'An internal error occurred; it has been logged with this request id'
      }])
      expect(JSON.stringify(out.toOperationOutcome())).not.toContain('hunter2')
    }
  })
})
