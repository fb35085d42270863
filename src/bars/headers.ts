import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { issue, OperationOutcomeError, withBarsCode } from '../fhir/operation-outcome.ts'
import { parseRequestJson } from '../fhir/parse-json.ts'
import { isValidOdsCode, ODS_ORGANIZATION_CODE_SYSTEM } from '../validation/ods-code.ts'
import { SUPPORTED_BARS_MAJORS } from './bars-codes.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/
/** what an audit agent may quote from a header: ids and product names, never free text */
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,63}$/
const SDS_ROLE_PROFILE_ID_SYSTEM = 'https://fhir.nhs.uk/Id/sds-role-profile-id'
const SNOMED = 'http://snomed.info/sct'
/** an SDS role profile id: a number (e.g. 100334993514) */
const ROLE_PROFILE_ID = /^[0-9]{1,20}$/
/** a SNOMED CT concept id: 6 to 18 digits, no leading zero */
const SCTID = /^[1-9][0-9]{5,17}$/

export type HeaderBag = Record<string, string | string[] | undefined>

/** What the BaRS request headers say, checked (NHS BaRS API, request headers). */
export interface BarsHeaders {
  requestId: string
  correlationId: string
  /** the BaRS Core version the sender asked for in Accept, when it named one */
  version?: string
  /** NHSD-Target-Identifier, decoded */
  target?: { system: string, value: string }
  /** NHSD-End-User-Organisation: the sender's ODS code */
  organisation?: string
  /** NHSD-Requesting-Software: Device identifier, name and version */
  software?: { id: string, name?: string, version?: string }
  /**
   * NHSD-Requesting-Practitioner: the PractitionerRole's SDS role profile id, and its SNOMED CT
   * role code when it has one (never the practitioner's name)
   */
  practitioner?: { roleProfileId: string, role?: string }
}

function one (headers: HeaderBag, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

function fail (status: number, found: OperationOutcomeIssue[]): OperationOutcomeError {
  return new OperationOutcomeError(status, found.map((i) => withBarsCode(i, status)))
}

/** X-Request-Id and X-Correlation-Id: mandatory UUIDs on BaRS routes (IG Transactional-integrity). */
function transactionIds (headers: HeaderBag): { requestId: string, correlationId: string } {
  const found: OperationOutcomeIssue[] = []
  const read = (name: string): string => {
    const v = one(headers, name.toLowerCase())
    if (v === undefined || v.trim() === '') {
      found.push(issue('error', 'required', `${name} is required on $process-message (a UUID)`, name))
      return ''
    }
    if (!UUID.test(v)) found.push(issue('error', 'invalid', `${name} must be a UUID`, name))
    return v.toLowerCase()
  }
  const requestId = read('X-Request-Id')
  const correlationId = read('X-Correlation-Id')
  if (found.length > 0) throw fail(400, found)
  return { requestId, correlationId }
}

/**
 * The BaRS version from Accept: the highest `version=` on a FHIR JSON media range whose major
 * this gateway speaks (the BaRS proxy picks the highest too). Only a major
 * difference fails (IG Versioning): 406. No version parameter at all is BaRS's default, 1.0.0.
 */
export function acceptedVersion (accept: string | undefined): string | undefined {
  const asked: string[] = []
  for (const range of (accept ?? '').split(',')) {
    const [type, ...params] = range.split(';').map((p) => p.trim())
    if (type === undefined || !['application/fhir+json', 'application/json', '*/*', 'application/*'].includes(type.toLowerCase())) continue
    for (const p of params) {
      const m = /^version\s*=\s*"?([^";]*)"?$/i.exec(p)
      if (m?.[1] !== undefined) asked.push(m[1].trim())
    }
  }
  if (asked.length === 0) return undefined
  const ok = asked
    .map((v) => ({ v, m: SEMVER.exec(v) }))
    .filter((x): x is { v: string, m: RegExpExecArray } => x.m !== null && SUPPORTED_BARS_MAJORS.includes(Number(x.m[1])))
    .sort((a, b) => Number(b.m[1]) - Number(a.m[1]) || Number(b.m[2]) - Number(a.m[2]) || Number(b.m[3]) - Number(a.m[3]))
  if (ok[0] === undefined) {
    throw fail(406, [issue('error', 'processing',
      `Accept asks for BaRS version ${asked.join(', ')}; this gateway speaks BaRS ${SUPPORTED_BARS_MAJORS.map((m) => `${m}.x`).join(', ')}`, 'Accept')])
  }
  return ok[0].v
}

/** A base64 JSON header (BaRS NHSD-* headers), or the issue saying why it is not one. */
function decodeHeader (name: string, raw: string): { value: Record<string, unknown> } | { problem: OperationOutcomeIssue } {
  const compact = raw.trim()
  if (compact === '' || !BASE64.test(compact)) {
    return { problem: issue('error', 'structure', `${name} must be base64-encoded JSON`, name) }
  }
  try {
    const value = parseRequestJson(Buffer.from(compact, 'base64').toString('utf8'))
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { value: value as Record<string, unknown> }
  } catch {
    // reported below: the decoded bytes are not a JSON object
  }
  return { problem: issue('error', 'structure', `${name} must be base64-encoded JSON (a JSON object)`, name) }
}

function identifiers (value: Record<string, unknown>): Array<{ system?: unknown, value?: unknown }> {
  return Array.isArray(value.identifier) ? value.identifier.filter((i): i is Record<string, unknown> => i !== null && typeof i === 'object') : []
}

function firstText (list: unknown, key: string): string | undefined {
  if (!Array.isArray(list)) return undefined
  const first: unknown = list[0]
  const v = first !== null && typeof first === 'object' ? (first as Record<string, unknown>)[key] : undefined
  return typeof v === 'string' ? v : undefined
}

/** The codes of every SNOMED CT coding of PractitionerRole.code (a list of CodeableConcepts). */
function snomedCodes (code: unknown): unknown[] {
  if (!Array.isArray(code)) return []
  return code.flatMap((concept: unknown) => {
    const codings = (concept as { coding?: unknown } | null)?.coding
    if (!Array.isArray(codings)) return []
    return codings.filter((c: unknown) => (c as { system?: unknown } | null)?.system === SNOMED).map((c) => (c as { code?: unknown }).code)
  })
}

/** What the NHSD identity headers say of the sender: its organisation, software and practitioner. */
export type BarsIdentity = Pick<BarsHeaders, 'organisation' | 'software' | 'practitioner'>

/** Decodes the NHSD identity headers into `out`; every problem goes to `found`. */
function readIdentity (headers: HeaderBag, out: BarsIdentity, found: OperationOutcomeIssue[]): void {
  const org = one(headers, 'nhsd-end-user-organisation')
  if (org !== undefined) {
    const d = decodeHeader('NHSD-End-User-Organisation', org)
    if ('problem' in d) found.push(d.problem)
    else {
      const ods = identifiers(d.value).find((i) => i.system === ODS_ORGANIZATION_CODE_SYSTEM)?.value
      if (d.value.resourceType !== 'Organization' || typeof ods !== 'string' || !isValidOdsCode(ods)) {
        found.push(issue('error', 'value', `NHSD-End-User-Organisation must be an Organization with an identifier from ${ODS_ORGANIZATION_CODE_SYSTEM} holding a valid ODS code`, 'NHSD-End-User-Organisation'))
      } else {
        out.organisation = ods
      }
    }
  }

  const software = one(headers, 'nhsd-requesting-software')
  if (software !== undefined) {
    const d = decodeHeader('NHSD-Requesting-Software', software)
    if ('problem' in d) found.push(d.problem)
    else {
      const id = identifiers(d.value).map((i) => i.value).find((v) => typeof v === 'string')
      const name = firstText(d.value.deviceName, 'name')
      const ver = firstText(d.value.version, 'value')
      if (d.value.resourceType !== 'Device' || typeof id !== 'string' || !TOKEN.test(id) ||
        (name !== undefined && !TOKEN.test(name)) || (ver !== undefined && !TOKEN.test(ver))) {
        found.push(issue('error', 'value', 'NHSD-Requesting-Software must be a Device with an identifier (and deviceName and version of at most 64 plain characters)', 'NHSD-Requesting-Software'))
      } else {
        out.software = { id, ...(name === undefined ? {} : { name }), ...(ver === undefined ? {} : { version: ver }) }
      }
    }
  }
  const practitioner = one(headers, 'nhsd-requesting-practitioner')
  if (practitioner !== undefined) {
    const d = decodeHeader('NHSD-Requesting-Practitioner', practitioner)
    if ('problem' in d) found.push(d.problem)
    else {
      const roleProfileId = identifiers(d.value).find((i) => i.system === SDS_ROLE_PROFILE_ID_SYSTEM)?.value
      const role = snomedCodes(d.value.code)
      if (d.value.resourceType !== 'PractitionerRole' || typeof roleProfileId !== 'string' || !ROLE_PROFILE_ID.test(roleProfileId) || role.some((c) => typeof c !== 'string' || !SCTID.test(c))) {
        found.push(issue('error', 'value', `NHSD-Requesting-Practitioner must be a PractitionerRole with an identifier from ${SDS_ROLE_PROFILE_ID_SYSTEM} holding an SDS role profile id (digits), and SNOMED CT role codes that are concept ids`, 'NHSD-Requesting-Practitioner'))
      } else {
        const first = role[0]
        out.practitioner = { roleProfileId, ...(typeof first === 'string' ? { role: first } : {}) }
      }
    }
  }
}

/**
 * The NHSD identity headers alone, decoded and checked as on $process-message: the identity
 * a BaRS proxy forwards on every request (src/auth/proxy-identity.ts). Each is optional here;
 * whoever relies on one says whether it must be there.
 * @throws OperationOutcomeError 400 REC_BAD_REQUEST naming every malformed header
 */
export function readNhsdIdentity (headers: HeaderBag): BarsIdentity {
  const out: BarsIdentity = {}
  const found: OperationOutcomeIssue[] = []
  readIdentity(headers, out, found)
  if (found.length > 0) throw fail(400, found)
  return out
}

/**
 * Reads and checks the BaRS headers of a $process-message request. Each NHSD-* header is
 * optional (the IG makes them optional where the OpenAPI spec says required) but, when sent,
 * must decode to what BaRS says it holds; the decoded ids go to the audit trail.
 * @param offered - the service ids the gateway offers ("system|value"), or just its own; a
 *   target naming another service is 404
 * @throws OperationOutcomeError 400 REC_BAD_REQUEST, 404 REC_NOT_FOUND or 406 REC_NOT_ACCEPTABLE
 */
export function readBarsHeaders (headers: HeaderBag, offered: string | ReadonlySet<string>): BarsHeaders {
  const offers = typeof offered === 'string' ? new Set([offered]) : offered
  const ids = transactionIds(headers)
  const version = acceptedVersion(one(headers, 'accept'))
  const out: BarsHeaders = { ...ids, ...(version === undefined ? {} : { version }) }
  const found: OperationOutcomeIssue[] = []

  const target = one(headers, 'nhsd-target-identifier')
  if (target !== undefined) {
    const d = decodeHeader('NHSD-Target-Identifier', target)
    if ('problem' in d) found.push(d.problem)
    else if (typeof d.value.system !== 'string' || typeof d.value.value !== 'string' || d.value.system === '' || d.value.value === '') {
      found.push(issue('error', 'structure', 'Invalid schema for NHSD-Target-Identifier header: it needs "system" and "value"', 'NHSD-Target-Identifier'))
    } else {
      out.target = { system: d.value.system, value: d.value.value }
    }
  }

  readIdentity(headers, out, found)
  if (found.length > 0) throw fail(400, found)

  if (out.target !== undefined && !offers.has(`${out.target.system}|${out.target.value}`)) {
    // the BaRS proxy answers an unknown target 404; a service this gateway does not offer is
    // the same for us, and is never taken by another of its services
    throw fail(404, [issue('error', 'not-found', `NHSD-Target-Identifier names ${out.target.system}|${out.target.value}, a service id this gateway does not offer (${[...offers].join(', ')})`, 'NHSD-Target-Identifier')])
  }
  return out
}

/**
 * Who is calling, for AuditRecord.agent: the ODS code, the software and the requesting
 * practitioner's SDS role profile id and SNOMED role (BaRS: the receiver stores the NHSD-*
 * headers for audit) — ids only, never a name. Without NHSD headers the caller is
 * unauthenticated (as on the other doors until the auth issue).
 */
export function auditAgent (h: BarsIdentity): string {
  const parts: string[] = []
  if (h.organisation !== undefined) parts.push(`ods:${h.organisation}`)
  if (h.software !== undefined) parts.push(`software:${[h.software.id, h.software.name, h.software.version].filter((p) => p !== undefined).join('/')}`)
  if (h.practitioner !== undefined) parts.push(`role-profile:${h.practitioner.roleProfileId}${h.practitioner.role === undefined ? '' : `/sct:${h.practitioner.role}`}`)
  return parts.length === 0 ? 'unauthenticated' : parts.join(' ')
}
