import { describe, expect, it } from 'vitest'
import { assertAcceptable, FHIR_JSON } from '../../../src/fhir/media-type.ts'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'

function refusal (accept: string | undefined, format: string | undefined): OperationOutcomeError {
  try {
    assertAcceptable(accept, format)
  } catch (err) {
    expect(err).toBeInstanceOf(OperationOutcomeError)
    return err as OperationOutcomeError
  }
  throw new Error(`accepted Accept=${String(accept)} _format=${String(format)}`)
}

describe('assertAcceptable', () => {
  it('accepts a request that states no preference', () => {
    expect(() => assertAcceptable(undefined, undefined)).not.toThrow()
    expect(() => assertAcceptable('', '')).not.toThrow()
    expect(() => assertAcceptable('   ', undefined)).not.toThrow()
  })

  it('accepts each JSON media type, wildcards and parameters', () => {
    for (const accept of [
      FHIR_JSON,
      'application/json',
      'application/json+fhir',
      'APPLICATION/FHIR+JSON',
      'application/fhir+json; charset=utf-8',
      'application/fhir+json;fhirVersion=4.0',
      '*/*',
      'application/*',
      'text/html, application/xhtml+xml, */*;q=0.8',
      'application/fhir+xml;q=1, application/fhir+json;q=0.9'
    ]) {
      expect(() => assertAcceptable(accept, undefined), accept).not.toThrow()
    }
  })

  it('refuses with 406 an Accept the server cannot meet', () => {
    for (const accept of ['application/fhir+xml', 'application/xml', 'text/html', 'text/*', 'text/plain; charset=utf-8, application/xml']) {
      const err = refusal(accept, undefined)
      expect(err.status, accept).toBe(406)
      expect(err.issues).toStrictEqual([{
        severity: 'error',
        code: 'not-supported',
        diagnostics: `Accept "${accept}" cannot be met; this server produces application/fhir+json`,
        expression: ['Accept']
      }])
    }
  })

  it('accepts each JSON _format', () => {
    for (const format of ['json', 'JSON', ' json ', 'application/json', 'application/fhir+json', 'application/json+fhir']) {
      expect(() => assertAcceptable(undefined, format), format).not.toThrow()
    }
  })

  it('refuses with 406 a _format the server cannot produce', () => {
    for (const format of ['xml', 'application/fhir+xml', 'text/turtle', 'ttl', 'html']) {
      const err = refusal(undefined, format)
      expect(err.status, format).toBe(406)
      expect(err.issues[0]).toMatchObject({ code: 'not-supported', expression: ['_format'] })
      expect(err.issues[0]?.diagnostics).toBe(`_format "${format}" is not supported; this server speaks application/fhir+json`)
    }
  })

  it('lets _format override Accept either way', () => {
    expect(() => assertAcceptable('application/fhir+xml', 'json')).not.toThrow()
    expect(refusal('application/fhir+json', 'xml').issues[0]?.expression).toStrictEqual(['_format'])
  })
})
