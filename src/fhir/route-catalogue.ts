/**
 * What is really routed, collected from Fastify's onRoute hook: the CapabilityStatement and
 * the 405 answer are both generated from it, so neither can drift from the code.
 */
export interface FhirRouteInfo {
  /** resource type, or undefined for system-level routes */
  type?: string
  interaction?: 'read' | 'vread' | 'create' | 'search-type' | 'transaction' | 'update' | 'patch'
  /** documentation: what this server does with the operation beyond its definition */
  operation?: { name: string, definition: string, documentation?: string }
  searchParams?: Array<{ name: string, type: 'token' | 'reference' | 'date' | 'number' | 'string', documentation: string }>
  /** profile canonical URLs that this create accepts */
  profiles?: string[]
}

export interface CatalogueEntry {
  method: string
  url: string
  pattern: RegExp
  fhir?: FhirRouteInfo
}

export class RouteCatalogue {
  readonly entries: CatalogueEntry[] = []

  add (method: string, url: string, fhir: FhirRouteInfo | undefined): void {
    const pattern = new RegExp(`^${url.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`)
    const entry: CatalogueEntry = { method, url, pattern }
    if (fhir !== undefined) entry.fhir = fhir
    this.entries.push(entry)
  }

  /** Methods routed for a concrete path (for 405 and Allow). */
  methodsFor (path: string): string[] {
    const methods = new Set<string>()
    for (const e of this.entries) {
      if (e.pattern.test(path)) methods.add(e.method)
    }
    return [...methods].sort()
  }
}
