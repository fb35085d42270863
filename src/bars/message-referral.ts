import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes'
import { OperationOutcomeError } from '../fhir/operation-outcome.ts'
import { parseTransaction } from '../fhir/transaction-bundle.ts'
import { referralBundleToValidate, validateReferral, type PreparedReferral } from '../intake/accept-referral.ts'
import type { ReferralPackage } from '../referral/referral-package.ts'
import type { ResourceValidator } from '../validation/validator.ts'
import { envelopeRecord } from './envelope.ts'
import type { BarsMessage } from './message-bundle.ts'

/** "Bundle.entry[i]" of the transaction view is "Bundle.entry[i+1]" of the message (the MessageHeader is entry 0). */
function toMessagePath (path: string): string {
  return path.replace(/^Bundle\.entry\[(\d+)\]/, (_m, i: string) => `Bundle.entry[${Number(i) + 1}]`)
}

function relocate (issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  return issues.map((i) => (i.expression === undefined ? i : { ...i, expression: i.expression.map(toMessagePath) }))
}

/**
 * A BaRS referral message as the one intake pipeline takes it. The entries after the
 * MessageHeader are exactly what a referral transaction creates, so the message is read as
 * that transaction (fhir/transaction-bundle.ts: urn:uuid resolution, one ServiceRequest, its
 * Patient) and every path is mapped back to the message's own entries. The whole message is
 * validated first, as the transaction door does, so findings point at the element sent.
 * @param serviceRequestId - the id the ServiceRequest is stored under (envelope.ts referralIdFor)
 * @returns the prepared referral (with the envelope record to store beside it) and the validator's warnings
 */
export function prepareMessageReferral (message: BarsMessage, validator: ResourceValidator, newId: () => string, serviceRequestId: string, correlationId: string): { prepared: PreparedReferral, warnings: OperationOutcomeIssue[] } {
  // the ServiceRequest is held to the profile of the service the message names (a referral, or fit-note triage)
  const warnings = validateReferral(validator, referralBundleToValidate(message.bundle, message.service.profile))
  const entries = (message.bundle.entry ?? []).slice(1)
  const transaction: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: entries.map((e) => ({ ...e, request: { method: 'POST', url: e.resource?.resourceType ?? '' } }))
  }
  // parseTransaction draws one id per entry, in entry order; the focus gets the referral's own
  const focusAt = message.focusIndex - 1
  let drawn = 0
  const ids = (): string => (drawn++ === focusAt ? serviceRequestId : newId())
  let parsed: ReturnType<typeof parseTransaction>
  try {
    parsed = parseTransaction(transaction, ids)
  } catch (err) {
    if (err instanceof OperationOutcomeError) throw new OperationOutcomeError(err.status, relocate(err.issues), err.headers)
    throw err
  }
  if (parsed.serviceRequestId !== serviceRequestId) {
    throw new Error('message referral: the ServiceRequest did not get its referral id')
  }
  const inner = parsed.pkg
  const pkg: ReferralPackage = {
    serviceRequest: inner.serviceRequest,
    serviceRequestPath: toMessagePath(inner.serviceRequestPath),
    resolve: (ref) => {
      const found = inner.resolve(ref)
      return found === undefined ? undefined : { resource: found.resource, path: toMessagePath(found.path) }
    }
  }
  return {
    prepared: {
      pkg,
      resources: [...parsed.resolved, envelopeRecord(message, serviceRequestId, correlationId)],
      serviceRequestId,
      patient: { reference: `Patient/${parsed.patientId}`, type: 'Patient' }
    },
    warnings
  }
}
