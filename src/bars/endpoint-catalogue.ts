import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'

/** A referrer's BaRS endpoint: its "system|value" id and the URL of its own $process-message. */
export interface CatalogueEndpoint {
  endpoint: string
  url: string
  /** the organisation the endpoint belongs to: its `ods` field, else the code of an ODS-coded endpoint */
  ods?: string
}

const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code|'

/** The ODS code an endpoint id names itself by ("https://fhir.nhs.uk/Id/ods-organization-code|P88002"). */
export function odsOfEndpoint (endpoint: string): string | undefined {
  return endpoint.startsWith(ODS_SYSTEM) ? endpoint.slice(ODS_SYSTEM.length).trim().toUpperCase() : undefined
}

/**
 * Whether a sender acting for these ODS codes may name this endpoint as its own
 * (MessageHeader.source.endpoint): the endpoint's organisation, by the catalogue or by the
 * endpoint's own ODS code, must be one of them. Otherwise a sender could direct later
 * response messages about its referral to another organisation.
 */
export function mayUseEndpoint (catalogue: EndpointCatalogue, endpoint: string, odsCodes: readonly string[]): boolean {
  const ods = catalogue.resolve(endpoint)?.ods ?? odsOfEndpoint(endpoint)
  return ods !== undefined && odsCodes.includes(ods)
}

/** The endpoint catalogue: MessageHeader.source.endpoint → where response messages go (as in the BaRS proxy's catalogue). */
export interface EndpointCatalogue {
  resolve(endpoint: string): CatalogueEndpoint | undefined
  size: number
}

const ENDPOINT = /^[a-z][a-z0-9+.-]*:\S+\|\S+$/i

/**
 * Checks a catalogue's JSON: `{ "endpoints": [{ "endpoint": "system|value", "url": "https://…/$process-message" }] }`.
 * Pure; every problem names the entry.
 * @throws Error naming the first bad entry
 */
export function parseEndpointCatalogue (json: unknown, source: string): EndpointCatalogue {
  const list = json !== null && typeof json === 'object' ? (json as { endpoints?: unknown }).endpoints : undefined
  if (!Array.isArray(list)) throw new Error(`${source}: expected { "endpoints": [ … ] }`)
  const byEndpoint = new Map<string, CatalogueEndpoint>()
  list.forEach((raw: unknown, i) => {
    const e = raw !== null && typeof raw === 'object' ? raw as Record<string, unknown> : {}
    const { endpoint, url, ods } = e
    if (typeof endpoint !== 'string' || !ENDPOINT.test(endpoint)) throw new Error(`${source}: endpoints[${i}].endpoint must be "system|value"`)
    let parsed: URL
    try {
      parsed = new URL(typeof url === 'string' ? url : '')
    } catch {
      throw new Error(`${source}: endpoints[${i}].url must be an absolute http(s) URL`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${source}: endpoints[${i}].url must be an http(s) URL`)
    // two entries for one endpoint is BaRS's "multiple-matches": refused at start, not at send time
    if (byEndpoint.has(endpoint)) throw new Error(`${source}: endpoints[${i}] repeats ${endpoint}`)
    if (ods !== undefined && (typeof ods !== 'string' || !/^[A-Z0-9]{3,10}$/i.test(ods))) throw new Error(`${source}: endpoints[${i}].ods must be an ODS code`)
    const owner = typeof ods === 'string' ? ods.toUpperCase() : odsOfEndpoint(endpoint)
    byEndpoint.set(endpoint, { endpoint, url: parsed.toString(), ...(owner === undefined ? {} : { ods: owner }) })
  })
  return { resolve: (endpoint) => byEndpoint.get(endpoint), size: byEndpoint.size }
}

/** Reads the catalogue file named by WORKWELL_BARS_ENDPOINTS. */
export async function loadEndpointCatalogue (file: string): Promise<EndpointCatalogue> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw unreadable(file, err)
  }
  return parseEndpointCatalogue(JSON.parse(text) as unknown, file)
}

/** As loadEndpointCatalogue, at start-up where only a synchronous read fits (delivery/from-config.ts). */
export function loadEndpointCatalogueSync (file: string): EndpointCatalogue {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw unreadable(file, err)
  }
  return parseEndpointCatalogue(JSON.parse(text) as unknown, file)
}

function unreadable (file: string, err: unknown): Error {
  return new Error(`BaRS endpoint catalogue ${file} cannot be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}
