import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { issue } from '../fhir/operation-outcome.ts'
import { isJsonObject } from './json.ts'
import type { JsonObject } from './json.ts'

/**
 * Bundle rules beyond the bdl-* invariants (R4 bundle.html §2.36.4, and what BaRS relies on):
 * - `fullUrl` is absolute (a URL, or `urn:uuid:`/`urn:oid:`), and a `urn:uuid:` one holds a UUID;
 * - in a transaction or batch, a `urn:uuid:` reference resolves to the fullUrl of an entry
 *   (bundle.html §2.36.4.1: such references are only meaningful within the Bundle);
 * - where entries share a fullUrl (versions of a resource), references to it name a version
 *   that is there (see checkVersionedReferences);
 * - each link relation (`self`, `first`, `prev`, `next`, `last`) appears at most once;
 * - search results have ids (search.html §3.1.1.2: entries of a searchset are resources
 *   that exist on the server), OperationOutcomes about the search excepted.
 * @param bundle - the Bundle
 * @param path - its FHIRPath
 * @returns one error per problem
 */
export function checkBundle (bundle: JsonObject, path: string): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = []
  const entries = Array.isArray(bundle.entry) ? bundle.entry : []
  const fullUrls = new Set<string>()
  entries.forEach((entry, i) => {
    if (!isJsonObject(entry) || typeof entry.fullUrl !== 'string') {
      return
    }
    const fullUrl = entry.fullUrl
    const where = `${path}.entry[${i}].fullUrl`
    if (!ABSOLUTE.test(fullUrl)) {
      issues.push(issue('error', 'invalid', `The fullUrl must be an absolute URL or a urn:uuid:, not '${fullUrl}' (${where})`, where))
    } else if (fullUrl.startsWith('urn:uuid:') && !UUID.test(fullUrl.slice(9))) {
      issues.push(issue('error', 'invalid', `'${fullUrl}' is not a urn:uuid: followed by a UUID (${where})`, where))
    }
    fullUrls.add(fullUrl)
  })
  const type = bundle.type
  if (type !== 'history') {
    checkVersionedReferences(entries, path, issues)
  }
  // Only a transaction or batch is processed as one unit whose urn:uuid: references the server
  // must resolve (http.html §3.1.0.11.2); elsewhere an unresolved one is not an error.
  if (type === 'transaction' || type === 'batch') {
    entries.forEach((entry, i) => {
      if (isJsonObject(entry) && isJsonObject(entry.resource)) {
        findReferences(entry.resource, `${path}.entry[${i}].resource`, (reference, where) => {
          if (reference.startsWith('urn:uuid:') && !fullUrls.has(reference)) {
            issues.push(issue('error', 'not-found', `${where} refers to ${reference}, which is the fullUrl of no entry in the Bundle`, where))
          }
        })
      }
    })
  }
  if (type === 'searchset') {
    entries.forEach((entry, i) => {
      if (!isJsonObject(entry) || !isJsonObject(entry.resource)) {
        return
      }
      const mode = isJsonObject(entry.search) ? entry.search.mode : undefined
      const isOutcome = entry.resource.resourceType === 'OperationOutcome'
      const where = `${path}.entry[${i}].resource`
      if (mode === 'outcome' && !isOutcome) {
        issues.push(issue('error', 'invalid', `An entry with search.mode 'outcome' must be an OperationOutcome (${where})`, where))
      } else if (entry.resource.id === undefined && !(isOutcome && mode !== 'match' && mode !== 'include')) {
        issues.push(issue('error', 'invalid', `Search results must have ids (${where})`, where))
      }
    })
  }
  const links = Array.isArray(bundle.link) ? bundle.link : []
  const seen = new Set<string>()
  links.forEach((link, i) => {
    if (!isJsonObject(link) || typeof link.relation !== 'string' || !UNIQUE_RELATIONS.has(link.relation)) {
      return
    }
    if (seen.has(link.relation)) {
      const where = `${path}.link[${i}]`
      issues.push(issue('error', 'invalid', `The link relation '${link.relation}' may appear only once in a Bundle (${where})`, where))
    }
    seen.add(link.relation)
  })
  return issues
}

/** An absolute URI has a scheme (RFC 3986 §4.3); 'Patient/1' has none. */
const ABSOLUTE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const UNIQUE_RELATIONS = new Set(['self', 'first', 'prev', 'previous', 'next', 'last'])

/** Calls `found` for each `reference` string in a resource (not in nested Bundles). */
function findReferences (value: unknown, path: string, found: (reference: string, where: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => { findReferences(v, `${path}[${i}]`, found) })
    return
  }
  if (!isJsonObject(value) || value.resourceType === 'Bundle') {
    return
  }
  for (const key in value) {
    const v = value[key]
    if (key === 'reference' && typeof v === 'string') {
      found(v, path)
    } else if (typeof v === 'object' && v !== null) {
      findReferences(v, `${path}.${key}`, found)
    }
  }
}

/** `[base/]Type/id[/_history/version]`: the part up to the id, and the version. */
const VERSIONED = /^((?:.*\/)?[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/

/**
 * Where several entries share a fullUrl (versions of one resource, which bdl-7 allows when
 * their meta.versionId differ), a reference to that fullUrl must say which version it means,
 * and the version must be there (R4 bundle.html §2.36.4.1 "Resolving references in Bundles":
 * a reference resolves to the entry whose fullUrl, and version when given, it matches; an
 * unversioned one that matches several is ambiguous). Relative references resolve against
 * the fullUrl of the entry holding them.
 */
function checkVersionedReferences (entries: readonly unknown[], path: string, issues: OperationOutcomeIssue[]): void {
  const versionsOf = new Map<string, (string | undefined)[]>()
  for (const entry of entries) {
    if (isJsonObject(entry) && typeof entry.fullUrl === 'string') {
      const meta = isJsonObject(entry.resource) ? entry.resource.meta : undefined
      const version = isJsonObject(meta) && typeof meta.versionId === 'string' ? meta.versionId : undefined
      versionsOf.set(entry.fullUrl, [...(versionsOf.get(entry.fullUrl) ?? []), version])
    }
  }
  if (![...versionsOf.values()].some((versions) => versions.length > 1)) {
    return // the common case: every fullUrl once
  }
  entries.forEach((entry, i) => {
    if (!isJsonObject(entry) || !isJsonObject(entry.resource)) {
      return
    }
    const base = typeof entry.fullUrl === 'string' ? (VERSIONED.exec(entry.fullUrl)?.[1] ?? '').replace(/[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/, '') : ''
    findReferences(entry.resource, `${path}.entry[${i}].resource`, (reference, where) => {
      const m = VERSIONED.exec(reference)
      if (!m?.[1]) {
        return
      }
      const target = ABSOLUTE.test(m[1]) ? m[1] : `${base}${m[1]}`
      const versions = versionsOf.get(target)
      if (versions === undefined || versions.length < 2) {
        return
      }
      const version = m[2]
      if (version === undefined) {
        issues.push(issue('error', 'invalid', `${where} refers to ${reference}, which matches ${versions.length} entries of the Bundle (versions of one resource); it must name a version`, where))
      } else if (!versions.includes(version)) {
        issues.push(issue('error', 'not-found', `${where} refers to version ${version} of ${target}, which is in the Bundle only as version ${versions.join(', ')}`, where))
      }
    })
  })
}
