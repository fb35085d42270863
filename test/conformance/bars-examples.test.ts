import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import type { OperationOutcome } from '@medplum/fhirtypes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, type Reply } from '../helpers/fixtures.ts'
import { asReferrer } from '../helpers/tokens.ts'
import { b64, barsHeaders, cancellationMessage, referralMessage } from '../integration/bars-messages.ts'
import { sharedFolder } from './shared-data.ts'

/**
 * The NHS BaRS example payloads (a copy beside the repository, from
 * NHSDigital/booking-and-referral-fhir-api examples1.4.0, MIT) against $process-message:
 * every one gets a BaRS answer, never a 500; the example messages that are valid BaRS but no
 * WorkWell referral get 422 saying why (404 when addressed to a service the gateway does not offer); and the gateway's own errors have the status,
 * issue code and REC_ code of the matching BaRS OperationOutcome example.
 */
const { dir, skipReason } = sharedFolder('fixtures/nhs-bars')
if (skipReason !== undefined) console.log(`skipping BaRS example conformance: ${skipReason}`)

function walk (d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = path.join(d, f)
    return statSync(p).isDirectory() ? walk(p) : f.endsWith('.json') ? [p] : []
  }).sort()
}

const BARS_ERRORS = 'https://fhir.nhs.uk/CodeSystem/http-error-codes'
function errorOf (r: Reply): { code: string, bars: string | undefined, expression: string[], diagnostics: string } {
  const e = ((r.body as unknown as OperationOutcome).issue ?? []).find((i) => i.severity === 'error')
  return { code: e?.code ?? '', bars: e?.details?.coding?.find((c) => c.system === BARS_ERRORS)?.code, expression: e?.expression ?? [], diagnostics: e?.diagnostics ?? '' }
}

/** What BaRS expects for each example message (NHS BaRS message rules, fixtures README). */
const MESSAGES: Record<string, { status: number, at: string, because: RegExp, bars?: string }> = {
  // a referral for validation, to a DoS service the gateway does not offer: not found, never taken by another service
  'process_message/request/ValidationRequest (POST) .json': { status: 404, bars: 'REC_NOT_FOUND', at: 'Bundle.entry[0].resource.destination', because: /a service id this gateway does not offer/ },
  // a response to someone else's request: the gateway sends responses, it takes requests
  'process_message/request/ValidationResponse (POST) .json': { status: 422, at: 'Bundle.entry[0].resource.eventCoding', because: /servicerequest-response/ },
  // a booking request
  'process_message/POST-body.json': { status: 422, at: 'Bundle.entry[0].resource.eventCoding', because: /booking-request/ },
  // the synchronous answer to a validation request, with the event system misspelt
  'process_message/response/ValidationRequest (HTTP Response) .json': { status: 422, at: 'Bundle.entry[0].resource.eventCoding', because: /message-event-servicerequest/ },
  // the sandbox's booking answer with template placeholders
  'process_message/POST-success.json': { status: 422, at: 'Bundle.entry[0].resource.eventCoding', because: /WorkWell referrals only/ }
}

describe.skipIf(skipReason !== undefined)('BaRS examples on POST /fhir/$process-message', () => {
  let gw: TestGateway
  beforeAll(async () => { gw = await startGateway() })
  afterAll(async () => { await gw?.close() })
  const files = skipReason === undefined ? walk(dir).map((f) => path.relative(dir, f)) : []

  it('has the five example messages the README lists', () => {
    expect(files.filter((f) => f.startsWith('process_message/'))).toEqual(Object.keys(MESSAGES).sort())
  })

  it.each(files)('%s gets a BaRS answer: a 4xx OperationOutcome with a REC_ code, the ids echoed, never a 500', async (file) => {
    const headers = barsHeaders()
    const r = await call(`${gw.fhir}/$process-message`, { raw: readFileSync(path.join(dir, file), 'utf8'), headers: { ...await asReferrer(gw), ...headers } })
    expect(r.status, r.text).toBeGreaterThanOrEqual(400)
    expect(r.status).toBeLessThan(500)
    expect(r.headers.get('x-request-id')).toBe(headers['x-request-id'])
    expect(r.headers.get('x-correlation-id')).toBe(headers['x-correlation-id'])
    const e = errorOf(r)
    expect(e.bars).toMatch(/^REC_/)
    expect(e.expression.length).toBeGreaterThan(0)
    const expected = MESSAGES[file]
    if (expected !== undefined) {
      expect(r.status).toBe(expected.status)
      expect(e.bars).toBe(expected.bars ?? 'REC_UNPROCESSABLE_ENTITY')
      expect(e.expression).toContain(expected.at)
      expect(e.diagnostics).toMatch(expected.because)
    } else {
      // an OperationOutcome, a CapabilityStatement, a searchset … is no message at all
      expect(r.status).toBe(400)
      expect(e.bars).toBe('REC_BAD_REQUEST')
    }
  })

  describe('the gateway\'s errors match BaRS\'s OperationOutcome examples (status, issue.code, REC_ code)', () => {
    const GM = 'fixtures/referrals/greater-manchester/gp-referral.json'
    const post = async (body: unknown, headers = barsHeaders()): Promise<Reply> => call(`${gw.fhir}/$process-message`, { body, headers: { ...await asReferrer(gw), ...headers } })
    /** each REC example the gateway can be made to answer, and how */
    const scenarios: Record<string, () => Promise<Reply>> = {
      '400-REC_BAD_REQUEST-invalid.json': async () => post(referralMessage(GM), barsHeaders({ 'x-request-id': 'not-a-uuid' })),
      '400-REC_BAD_REQUEST-required.json': async () => {
        const h = barsHeaders()
        delete h['x-correlation-id']
        return post(referralMessage(GM), h)
      },
      '400-REC_BAD_REQUEST-value.json': async () => post(referralMessage(GM), barsHeaders({ 'nhsd-end-user-organisation': b64({ resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'not an ODS code' }] }) })),
      '400-REC_BAD_REQUEST-invariant.json': async () => post(referralMessage(GM, { serviceRequest: { status: 'completed' } })),
      '404-REC_NOT_FOUND-not-found.json': async () => post(cancellationMessage(randomUUID())),
      '409-REC_CONFLICT-duplicate.json': async () => {
        const h = barsHeaders()
        const m = referralMessage(GM)
        expect((await post(m, h)).status).toBe(200)
        return post(m, h)
      },
      '409-REC_CONFLICT-conflict.json': async () => {
        const m = referralMessage(GM)
        expect((await post(m)).status).toBe(200)
        return post(m)
      },
      '422-REC_UNPROCESSABLE_ENTITY-not-supported.json': async () => post({ ...referralMessage(GM), meta: { versionId: '2.0.0' } })
    }
    /**
     * REC examples about failures of the receiver itself or of access control the gateway does
     * not do yet, and 501: every workflow the gateway accepts is implemented (a change to an
     * active referral was the last 501), and the ones it does not take are 400 or 422
     */
    const notReproducible = ['401-REC_UNAUTHORIZED-forbidden.json', '408-REC_TIMEOUT-timeout.json', '500-REC_SERVER_ERROR-exception.json', '501-REC_NOT_IMPLEMENTED-not-supported.json', '503-REC_SERVICE_UNAVAILABLE-transient.json']

    it('covers every REC example but those about receiver failures and access control', () => {
      const rec = skipReason === undefined ? readdirSync(path.join(dir, 'OperationOutcome/REC')).sort() : []
      expect(rec).toEqual([...Object.keys(scenarios), ...notReproducible].sort())
    })

    it.each(Object.keys(scenarios))('%s', async (file) => {
      const example = JSON.parse(readFileSync(path.join(dir, 'OperationOutcome/REC', file), 'utf8')) as OperationOutcome
      const status = Number(file.slice(0, 3))
      const want = example.issue?.[0]
      const r = await scenarios[file]!()
      expect(r.status, r.text).toBe(status)
      const got = errorOf(r)
      expect(got.code).toBe(want?.code)
      expect(got.bars).toBe(want?.details?.coding?.[0]?.code)
    })
  })
})
