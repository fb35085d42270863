import type { Bundle, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { outcomeError } from '../fhir/operation-outcome.ts'
import { parseTransaction } from '../fhir/transaction-bundle.ts'
import type { ResourceValidator } from '../validation/validator.ts'
import { WORKWELL_REFERRAL_PROFILE } from '../validation/profiles.ts'
import { referralBundleToValidate, validateReferral, type PreparedReferral } from './accept-referral.ts'
import { containedPackage, patientByIdentifier } from '../referral/referral-package.ts'

/** What preparing a referral needs: the validator and the id source. */
export interface PrepareDeps {
  validator: ResourceValidator
  newId: () => string
}

function resourceBody (body: unknown, expected: string): Resource {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw outcomeError(400, 'structure', `The body must be a FHIR ${expected} JSON object`, expected)
  }
  const type = (body as { resourceType?: unknown }).resourceType
  if (type !== expected) {
    throw outcomeError(422, 'invalid', `Expected a ${expected}, got ${typeof type === 'string' ? type : 'no resourceType'}`, `${expected}.resourceType`)
  }
  return body as Resource
}

/**
 * A ServiceRequest with its Patient and supporting resources contained, validated against the
 * door's profile (required whether or not it is claimed), with its id assigned.
 *
 * @throws OperationOutcomeError 400 for a body that is not an object, 422 for a failed profile
 */
export function prepareContained (deps: PrepareDeps, body: unknown, profile = WORKWELL_REFERRAL_PROFILE): PreparedReferral {
  const sr = resourceBody(body, 'ServiceRequest') as ServiceRequest
  validateReferral(deps.validator, [{ resource: sr, path: 'ServiceRequest', resourceType: 'ServiceRequest', profile }])
  const id = deps.newId()
  const stored: ServiceRequest = { ...sr, id }
  return { pkg: containedPackage(sr), resources: [stored], serviceRequestId: id, patient: patientByIdentifier(stored) }
}

/**
 * A transaction Bundle of a referral: the whole Bundle validated first (entries at their
 * paths, the ServiceRequest against the door's profile), then its entries resolved.
 *
 * @returns the referral and the order of the entries' ids, for the transaction-response
 */
export function prepareTransaction (deps: PrepareDeps, body: unknown, profile = WORKWELL_REFERRAL_PROFILE): { prepared: PreparedReferral, order: string[] } {
  const bundle = resourceBody(body, 'Bundle') as Bundle
  validateReferral(deps.validator, referralBundleToValidate(bundle, profile))
  const parsed = parseTransaction(bundle, deps.newId)
  return {
    prepared: {
      pkg: parsed.pkg,
      resources: parsed.resolved,
      serviceRequestId: parsed.serviceRequestId,
      patient: { reference: `Patient/${parsed.patientId}`, type: 'Patient' }
    },
    order: parsed.entries.map((e) => e.id)
  }
}
