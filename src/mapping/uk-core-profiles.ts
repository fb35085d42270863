import type { Resource } from '@medplum/fhirtypes'

const UK_CORE = 'https://fhir.hl7.org.uk/StructureDefinition'

/**
 * The UK Core profile a delivered resource of each type claims (meta.profile). Only the
 * profiles that are `active` in the released UK Core R4 package are claimed:
 * UKCore-Task and UKCore-Bundle are `draft` and in no release, so a partner validating against
 * a released UK Core package could not resolve them. Consent has no UK Core profile.
 * Every referral resource fits these claims: UK Core adds no mandatory element beyond base R4
 * outside the identifier slices (UK Core R4 differentials), and WorkWell's own profiles derive from them.
 */
export const UK_CORE_PROFILES: Readonly<Partial<Record<Resource['resourceType'], string>>> = {
  Patient: `${UK_CORE}/UKCore-Patient`,
  ServiceRequest: `${UK_CORE}/UKCore-ServiceRequest`,
  Observation: `${UK_CORE}/UKCore-Observation`,
  Condition: `${UK_CORE}/UKCore-Condition`,
  Organization: `${UK_CORE}/UKCore-Organization`,
  Practitioner: `${UK_CORE}/UKCore-Practitioner`,
  PractitionerRole: `${UK_CORE}/UKCore-PractitionerRole`
}

/**
 * The resource with its UK Core profile added to meta.profile (after the profiles it already
 * claims, once). Resources of other types come back unchanged. Does not modify its input.
 * @param resource - a resource about to be delivered
 */
export function claimUkCoreProfile<T extends Resource> (resource: T): T {
  const profile = UK_CORE_PROFILES[resource.resourceType]
  const claimed = resource.meta?.profile ?? []
  if (profile === undefined || claimed.includes(profile)) {
    return resource
  }
  // meta goes where FHIR JSON puts it, after resourceType and id, when it was absent
  const { resourceType, id, meta, ...rest } = resource
  return { resourceType, ...(id === undefined ? {} : { id }), meta: { ...meta, profile: [...claimed, profile] }, ...rest } as T
}
