import { outcomeError } from '../fhir/operation-outcome.ts'
import { normaliseReference, REFERRAL_REFERENCE_SYSTEM } from './referral-reference.ts'

/**
 * The referral reference an `identifier` search asks for (R4 search.html#token:
 * `[system]|[code]`, `|[code]` or `[code]`). A value typed loosely (lower case, O for 0) is
 * read as the gateway writes it. Another system, or a value that fails its check symbol,
 * names no referral here: the search matches nothing (undefined).
 * @throws OperationOutcomeError 400 for an empty value
 */
export function referenceOfIdentifierParam (raw: string): string | undefined {
  const bar = raw.indexOf('|')
  const system = bar < 0 ? undefined : raw.slice(0, bar)
  const code = (bar < 0 ? raw : raw.slice(bar + 1)).trim()
  if (code === '') throw outcomeError(400, 'invalid', 'identifier needs a value: system|value or value', 'identifier')
  if (system !== undefined && system !== '' && system !== REFERRAL_REFERENCE_SYSTEM) return undefined
  return normaliseReference(code)
}

/** The search parameter as the CapabilityStatement lists it. */
export const IDENTIFIER_SEARCH_PARAM = {
  name: 'identifier',
  type: 'token',
  documentation: `the referral reference: ${REFERRAL_REFERENCE_SYSTEM}|WW-XXXXX-XXXXX (the system may be left out)`
} as const
