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
 * response messages about its referral to another organisation. An endpoint the catalogue
 * does not list and that names no organisation may be named: responses never go to it, but
 * to the endpoint registered for the sender's ODS code (responseEndpointFor).
 */
export function mayUseEndpoint (catalogue: EndpointCatalogue, endpoint: string, odsCodes: readonly string[]): boolean {
  const listed = catalogue.resolve(endpoint)
  const ods = listed?.ods ?? odsOfEndpoint(endpoint)
  return ods === undefined ? listed === undefined : odsCodes.includes(ods)
}

/** The endpoint catalogue: MessageHeader.source.endpoint → where response messages go (as in the BaRS proxy's catalogue). */
export interface EndpointCatalogue {
  resolve(endpoint: string): CatalogueEndpoint | undefined
  /** the endpoints registered for an organisation (by their `ods`, or their own ODS code) */
  forOds(ods: string): readonly CatalogueEndpoint[]
  size: number
}

/** Where a sender's response messages go, or why there is nowhere. */
export type ResponseEndpoint =
  | { ok: true, entry: CatalogueEndpoint, from: 'source' | 'ods' }
  | { ok: false, reason: 'unknown-sender' | 'none' | 'several', ods?: string }

/**
 * The organisation that sent a message, of those the caller acts for: the one its source
 * endpoint names, else the caller's only ODS code (through the BaRS proxy, exactly the one in
 * NHSD-End-User-Organisation), else the NHSD-End-User-Organisation the sender claims when the
 * caller acts for it; undefined when that leaves a choice. Pure.
 */
export function senderOdsOf (sourceEndpoint: string, callerOds: readonly string[], claimed: string | undefined): string | undefined {
  const own = odsOfEndpoint(sourceEndpoint)
  if (own !== undefined && callerOds.includes(own)) return own
  if (callerOds.length === 1) return callerOds[0]
  return claimed !== undefined && callerOds.includes(claimed) ? claimed : undefined
}

/**
 * The sender's own endpoint for response messages, from the catalogue only (NHS BaRS: the
 * receiver replies through the Endpoint Catalogue, never to an address a message carries):
 * the message's source endpoint when the catalogue has it, else the one endpoint registered
 * for the sender's ODS code. Two registered for that code is BaRS's multiple-matches: the
 * gateway does not guess between them. Pure.
 * @param senderOds - the sending organisation, when known (the caller's ODS code)
 */
export function responseEndpointFor (catalogue: EndpointCatalogue, sourceEndpoint: string, senderOds: string | undefined): ResponseEndpoint {
  const listed = catalogue.resolve(sourceEndpoint)
  if (listed !== undefined) return { ok: true, entry: listed, from: 'source' }
  if (senderOds === undefined) return { ok: false, reason: 'unknown-sender' }
  const registered = catalogue.forOds(senderOds)
  const [only] = registered
  if (only === undefined) return { ok: false, reason: 'none', ods: senderOds }
  return registered.length === 1 ? { ok: true, entry: only, from: 'ods' } : { ok: false, reason: 'several', ods: senderOds }
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
  const byOds = new Map<string, CatalogueEndpoint[]>()
  for (const e of byEndpoint.values()) {
    if (e.ods !== undefined) byOds.set(e.ods, [...(byOds.get(e.ods) ?? []), e])
  }
  return { resolve: (endpoint) => byEndpoint.get(endpoint), forOds: (ods) => byOds.get(ods.trim().toUpperCase()) ?? [], size: byEndpoint.size }
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
