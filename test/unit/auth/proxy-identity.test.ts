import { describe, expect, it } from 'vitest'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'
import { certificateNames, proxyCaller, proxySubjectOf } from '../../../src/auth/proxy-identity.ts'

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v), 'utf8').toString('base64')
const org = (ods: string): string => b64({ resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: ods }] })
const software = b64({ resourceType: 'Device', identifier: [{ system: 'https://consumersupplier.com/Id/device-identifier', value: 'APP-1' }] })

function refusal (headers: Record<string, string>): { status: number, code: string | undefined } {
  try {
    proxyCaller('proxy.nhs.uk', headers)
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err
    return { status: err.status, code: err.issues[0]?.details?.coding?.[0]?.code }
  }
  throw new Error('accepted')
}

describe('certificateNames', () => {
  it('gives the subject CNs and SAN DNS names, lower case, and nothing else', () => {
    expect(certificateNames({ subject: { CN: 'BaRS-Proxy.nhs.uk' } as never, subjectaltname: 'DNS:a.nhs.uk, IP Address:127.0.0.1, DNS:B.nhs.uk' })).toEqual(['bars-proxy.nhs.uk', 'a.nhs.uk', 'b.nhs.uk'])
    expect(certificateNames({ subject: {} as never, subjectaltname: '' })).toEqual([])
  })
})

describe('proxySubjectOf', () => {
  it('is no proxy for a connection that is not TLS, or when no proxy is configured', () => {
    expect(proxySubjectOf({ authorized: true }, ['proxy.nhs.uk'])).toBeUndefined()
    expect(proxySubjectOf(undefined, [])).toBeUndefined()
  })
})

describe('proxyCaller', () => {
  it('is a referrer bound to the one ODS code of NHSD-End-User-Organisation, named by proxy and organisation', () => {
    const { principal, identity } = proxyCaller('proxy.nhs.uk', { 'nhsd-end-user-organisation': org('Y02720'), 'nhsd-requesting-software': software })
    expect([...principal.roles]).toEqual(['referrer'])
    expect(principal.odsCodes).toEqual(['Y02720'])
    expect(principal.partnerships).toEqual([])
    expect(principal.issuer).toBe('mtls:proxy.nhs.uk')
    expect(principal.clientId).toBe('proxy:proxy.nhs.uk/ods:Y02720')
    expect(identity.software?.id).toBe('APP-1')
  })

  it('refuses missing headers 401 REC_UNAUTHORIZED and malformed ones 400 REC_BAD_REQUEST', () => {
    expect(refusal({})).toEqual({ status: 401, code: 'REC_UNAUTHORIZED' })
    expect(refusal({ 'nhsd-end-user-organisation': org('Y02720') })).toEqual({ status: 401, code: 'REC_UNAUTHORIZED' })
    expect(refusal({ 'nhsd-requesting-software': software })).toEqual({ status: 401, code: 'REC_UNAUTHORIZED' })
    expect(refusal({ 'nhsd-end-user-organisation': 'x!', 'nhsd-requesting-software': software })).toEqual({ status: 400, code: 'REC_BAD_REQUEST' })
    expect(refusal({ 'nhsd-end-user-organisation': b64({ resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'not an ods code' }] }), 'nhsd-requesting-software': software })).toEqual({ status: 400, code: 'REC_BAD_REQUEST' })
  })
})
