import { isUUID } from '@medplum/core'

/**
 * What a route reads from the URL and the headers, as the JSON Schemas Fastify checks before
 * the handler runs (params, querystring, headers), and the few value checks the routes share.
 * A value that fails is a 400 OperationOutcome naming the parameter or header
 * (error-handler.ts), so every route refuses bad input the same way.
 *
 * Search parameters are declared one by one but the schemas never forbid others: FHIR ignores
 * an unknown search parameter unless the client sends Prefer: handling=strict (R4
 * search.html §3.1.1.5), which each search route decides for itself.
 */

/** A FHIR id (R4 datatypes.html#id): 1 to 64 letters, digits, '-' and '.'. */
export const FHIR_ID_PATTERN = '^[A-Za-z0-9\\-.]{1,64}$'
const FHIR_ID = new RegExp(FHIR_ID_PATTERN)

export function isFhirId (value: string): boolean {
  return FHIR_ID.test(value)
}

/** A UUID in any case (RFC 9562), as X-Request-Id carries it; medplum's check. */
export { isUUID }
const UUID_PATTERN = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'

/** `/…/:id` where id is a FHIR id. */
export const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: FHIR_ID_PATTERN } }
} as const

/** /{type}/{id}/_history/{vid}: a version id has the form of an id (R4 resource.html#Meta) */
export const VERSION_PARAMS = {
  type: 'object',
  required: ['id', 'vid'],
  properties: { id: { type: 'string', pattern: FHIR_ID_PATTERN }, vid: { type: 'string', pattern: FHIR_ID_PATTERN } }
} as const

/** A search parameter given at most once (a repeat arrives as an array and fails). */
export const ONCE = { type: 'string', maxLength: 1024 } as const

/** A search parameter that may repeat (AND); a single value is coerced to a list of one. */
export const REPEATABLE = { type: 'array', items: { type: 'string', maxLength: 1024 }, maxItems: 10 } as const

/** _count: a page size from 1 to max (R4 search.html#count). */
export function countParam (max: number): { type: 'integer', minimum: 1, maximum: number } {
  return { type: 'integer', minimum: 1, maximum: max }
}

/** The querystring schema of a search: the parameters it declares, others let through. */
export function searchQuery (properties: Record<string, object>): { type: 'object', properties: Record<string, object> } {
  // _format is read by the Accept check of every /fhir request (app.ts)
  return { type: 'object', properties: { _format: ONCE, ...properties } }
}

/** Request headers the routes read; Fastify matches them lower-cased. */
export const HEADER = {
  /** one entity tag; its form is checked by ifMatchVersion, which also tells 428 from 400 */
  ifMatch: { type: 'string', maxLength: 200 },
  /** Prefer: return=… and handling=… (R4 http.html §3.1.0.8.1; RFC 7240) */
  prefer: { type: 'string', maxLength: 200 },
  /** X-Request-Id: a UUID (BaRS transactional integrity) */
  xRequestId: { type: 'string', pattern: UUID_PATTERN },
  /** If-None-Match on a read (R4 http.html §3.1.0.5) */
  ifNoneMatch: { type: 'string', maxLength: 200 }
} as const

/** The headers schema of a route: only the named headers are checked, others pass. */
export function headersSchema (properties: Record<string, object>): { type: 'object', properties: Record<string, object> } {
  return { type: 'object', properties }
}
