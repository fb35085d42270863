import type { MessageDefinition } from '@medplum/fhirtypes'

/** A MessageDefinition search's query string, as Fastify parses it (repeated names give arrays). */
export type DefinitionQuery = Record<string, string | string[] | undefined>

/** BaRS senders also send their use case as a context (usecases-categories-bars); no definition here depends on it */
const USE_CASES = 'https://fhir.nhs.uk/CodeSystem/usecases-categories-bars'

function all (v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/** A token search value against a system and code (R4 search.html §3.1.1.4.9: code, |code, system|code). */
function tokenMatches (value: string, system: string | undefined, code: string | undefined): boolean {
  const at = value.indexOf('|')
  if (at < 0) return value === code
  const [s, c] = [value.slice(0, at), value.slice(at + 1)]
  return (s === '' ? system === undefined : s === system) && (c === '' || c === code)
}

/**
 * Whether a MessageDefinition matches every search parameter given: url exactly (its
 * version ignored), name as an R4 string search (case-insensitive, from the start),
 * identifier and event as tokens, and each context as a token on its use contexts (a use
 * case context matches every definition). Values of one parameter joined by commas are OR,
 * repeated parameters AND (R4 search.html §3.1.1.3). Pure.
 */
export function definitionMatches (d: MessageDefinition, q: DefinitionQuery): boolean {
  const each = (name: string, test: (value: string) => boolean): boolean =>
    all(q[name]).every((v) => v.split(',').some((one) => test(one.trim())))
  return each('url', (v) => d.url === v.split('|')[0]) &&
    each('name', (v) => [d.name, d.title].some((n) => n?.toLowerCase().startsWith(v.toLowerCase()) === true)) &&
    each('identifier', (v) => (d.identifier ?? []).some((i) => tokenMatches(v, i.system, i.value))) &&
    each('event', (v) => tokenMatches(v, d.eventCoding?.system, d.eventCoding?.code)) &&
    each('context', (v) => v.startsWith(`${USE_CASES}|`) ||
      (d.useContext ?? []).some((u) => (u.valueCodeableConcept?.coding ?? []).some((c) => tokenMatches(v, c.system, c.code))))
}
