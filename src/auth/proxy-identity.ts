import { TLSSocket, type PeerCertificate } from 'node:tls'
import { readNhsdIdentity, type BarsIdentity, type HeaderBag } from '../bars/headers.ts'
import { asBarsError, outcomeError, type OperationOutcomeError } from '../fhir/operation-outcome.ts'
import type { Principal } from './principal.ts'

/**
 * The names a certificate goes by: its subject CNs and its SAN DNS names, lower case
 * (BaRS: proxy certificates are issued for an FQDN under *.nhs.uk).
 */
export function certificateNames (cert: Pick<PeerCertificate, 'subject' | 'subjectaltname'>): string[] {
  const cn = cert.subject?.CN as string | string[] | undefined
  const cns = cn === undefined ? [] : Array.isArray(cn) ? cn : [cn]
  const dns = (cert.subjectaltname ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4))
  return [...cns, ...dns].map((n) => n.toLowerCase())
}

/**
 * The trusted proxy a connection comes from: the configured subject its client certificate
 * names, when the certificate was verified in the handshake against the client CA bundle;
 * undefined for any other connection (plain HTTP, no certificate, or another subject).
 */
export function proxySubjectOf (socket: unknown, proxySubjects: readonly string[]): string | undefined {
  if (proxySubjects.length === 0 || !(socket instanceof TLSSocket) || !socket.authorized) return undefined
  const names = certificateNames(socket.getPeerCertificate())
  return proxySubjects.find((s) => names.includes(s))
}

/** What a proxy request is: the caller it acts for, and who it says made the request. */
export interface ProxyCaller {
  principal: Principal
  identity: BarsIdentity
}

function unauthorised (diagnostics: string, expression: string): OperationOutcomeError {
  return asBarsError(outcomeError(401, 'security', diagnostics, expression))
}

/**
 * The caller of a request the BaRS proxy forwarded: the proxy acting for the organisation in
 * NHSD-End-User-Organisation, as a referrer bound to that one ODS code and nothing else
 * (BaRS: the sender's own credentials stop at the proxy; the receiver authorises from the
 * NHSD headers it forwards). The requesting software must be named too (the proxy always
 * forwards the app it authenticated); the practitioner is checked when sent. Missing or
 * malformed headers refuse the request; there is never a broader fall-back identity.
 *
 * The client id names the proxy and the organisation, so idempotency keys (X-Request-Id,
 * Bundle ids) of two practices behind one proxy never meet.
 * @throws OperationOutcomeError 400 REC_BAD_REQUEST (malformed) or 401 REC_UNAUTHORIZED (missing)
 */
export function proxyCaller (proxySubject: string, headers: HeaderBag): ProxyCaller {
  const identity = readNhsdIdentity(headers)
  if (identity.organisation === undefined) throw unauthorised('A request through the BaRS proxy must name the organisation it is made for (NHSD-End-User-Organisation)', 'NHSD-End-User-Organisation')
  if (identity.software === undefined) throw unauthorised('A request through the BaRS proxy must name the requesting software (NHSD-Requesting-Software)', 'NHSD-Requesting-Software')
  const ods = identity.organisation
  return {
    identity,
    principal: {
      clientId: `proxy:${proxySubject}/ods:${ods}`,
      issuer: `mtls:${proxySubject}`,
      roles: new Set(['referrer']),
      odsCodes: [ods],
      partnerships: []
    }
  }
}

/** The refusal of a proxy request that also carries a bearer token: one credential per request. */
export function proxyWithToken (): OperationOutcomeError {
  return unauthorised('A request through the BaRS proxy is authenticated by the proxy\'s certificate and the NHSD headers; it must not carry an Authorization header as well', 'Authorization')
}

/** The refusal of a proxy request to a route a referrer may not call. */
export function proxyNotAllowed (method: string, path: string): OperationOutcomeError {
  return unauthorised(`${method} ${path} is not open to a referring organisation`, 'NHSD-End-User-Organisation')
}
