import { outcomeError } from './operation-outcome.ts'

export const FHIR_JSON = 'application/fhir+json'

const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json+fhir'])
const FORMAT_ALIASES = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir'])

function mediaTypes (accept: string): string[] {
  return accept.split(',').map((part) => (part.split(';')[0] ?? '').trim().toLowerCase()).filter((t) => t !== '')
}

/**
 * Checks that the client can take FHIR JSON: `_format` overrides Accept (R4 http.html
 * §3.1.0.1.7). XML and anything else this server cannot produce is 406.
 */
export function assertAcceptable (accept: string | undefined, format: string | undefined): void {
  if (format !== undefined && format !== '') {
    if (!FORMAT_ALIASES.has(format.trim().toLowerCase())) {
      throw outcomeError(406, 'not-supported', `_format "${format}" is not supported; this server speaks ${FHIR_JSON}`, '_format')
    }
    return
  }
  if (accept === undefined || accept.trim() === '') return
  const types = mediaTypes(accept)
  const ok = types.some((t) => JSON_TYPES.has(t) || t === '*/*' || t === 'application/*')
  if (!ok) {
    throw outcomeError(406, 'not-supported', `Accept "${accept}" cannot be met; this server produces ${FHIR_JSON}`, 'Accept')
  }
}
