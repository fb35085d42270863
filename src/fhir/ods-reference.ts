import type { Reference } from '@medplum/fhirtypes'
import { SYSTEMS } from './systems.ts'

/**
 * The ODS code a reference names by identifier, upper-cased: how referrals carry their
 * requesting practice (UK Core: Organization identifier of system ods-organization-code).
 */
export function odsCodeOf (ref: Reference | undefined): string | undefined {
  const id = ref?.identifier
  return id?.system === SYSTEMS.odsOrganisation && typeof id.value === 'string' ? id.value.trim().toUpperCase() : undefined
}
