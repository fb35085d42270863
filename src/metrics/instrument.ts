import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import type { ResourceValidator, ValidateOptions } from '../validation/validator.ts'
import type { GatewayMetrics } from './gateway-metrics.ts'

/**
 * The validator, counting every validation that finds errors under the profile it was
 * checked against: the one asked for, else the first the resource claims. The label comes
 * from a closed set (a profile the gateway has loaded, `base`, or `unknown-profile`), never
 * from the caller's text: each new label value is a new series on /metrics, kept for the
 * life of the process.
 */
export function instrumentValidator (validator: ResourceValidator, metrics: GatewayMetrics): ResourceValidator {
  return {
    get profiles () { return validator.profiles },
    validate (resource: unknown, options?: ValidateOptions): OperationOutcomeIssue[] {
      const issues = validator.validate(resource, options)
      if (issues.some((i) => i.severity === 'error' || i.severity === 'fatal')) metrics.validationFailure(profileLabel(validator, profileOf(resource, options)))
      return issues
    }
  }
}

function profileOf (resource: unknown, options?: ValidateOptions): string | undefined {
  if (options?.profile !== undefined) return options.profile
  if (resource === null || typeof resource !== 'object') return undefined
  const r = resource as { meta?: { profile?: unknown } }
  const claimed = Array.isArray(r.meta?.profile) ? r.meta.profile[0] : undefined
  return typeof claimed === 'string' ? claimed : undefined
}

function profileLabel (validator: ResourceValidator, profile: string | undefined): string {
  if (profile === undefined) return 'base'
  return validator.profiles.includes(profile) ? profile : 'unknown-profile'
}
