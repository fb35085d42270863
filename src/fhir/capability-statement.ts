import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes'
import type { CatalogueEntry } from './route-catalogue.ts'
import { MESSAGE_DEFINITION_URLS } from '../bars/bars-codes.ts'

export interface CapabilityInput {
  entries: readonly CatalogueEntry[]
  baseUrl: string
  version: string
  date: string
  /** the profiles the validator applies, listed as supportedProfile on their resource type */
  profiles?: ReadonlyArray<{ url: string, type: string }>
  /** the BaRS messages it takes and sends (bars/message-definitions.ts supportedMessages); default the shared three */
  supportedMessages?: ReadonlyArray<{ mode: 'sender' | 'receiver', definition: string }>
}

/** Builds the CapabilityStatement from the routes that exist (R4 capabilitystatement.html). Pure. */
export function buildCapabilityStatement (input: CapabilityInput): CapabilityStatement {
  const resources = new Map<string, CapabilityStatementRestResource>()
  const systemInteractions = new Set<string>()
  const systemOperations = new Map<string, string>()
  for (const e of input.entries) {
    const f = e.fhir
    if (f === undefined) continue
    if (f.type === undefined) {
      if (f.interaction !== undefined) systemInteractions.add(f.interaction)
      if (f.operation !== undefined) systemOperations.set(f.operation.name, f.operation.definition)
      continue
    }
    const r: CapabilityStatementRestResource = resources.get(f.type) ?? { type: f.type as CapabilityStatementRestResource['type'], interaction: [] }
    resources.set(f.type, r)
    if (f.interaction !== undefined && !(r.interaction ?? []).some((i) => i.code === f.interaction)) {
      r.interaction = [...(r.interaction ?? []), { code: f.interaction as 'read' }]
    }
    if (f.operation !== undefined && !(r.operation ?? []).some((o) => o.name === f.operation?.name)) {
      r.operation = [...(r.operation ?? []), { name: f.operation.name, definition: f.operation.definition, ...(f.operation.documentation === undefined ? {} : { documentation: f.operation.documentation }) }]
    }
    for (const p of f.searchParams ?? []) {
      if (!(r.searchParam ?? []).some((s) => s.name === p.name)) {
        r.searchParam = [...(r.searchParam ?? []), { name: p.name, type: p.type, documentation: p.documentation }]
      }
    }
    if (f.profiles !== undefined && f.profiles.length > 0) {
      r.supportedProfile = [...new Set([...(r.supportedProfile ?? []), ...f.profiles])]
    }
    if (f.interaction === 'read' && r.versioning === undefined) {
      r.versioning = 'versioned'
      r.readHistory = false
    }
    if (f.interaction === 'update') {
      // updates need If-Match (R4 capabilitystatement.html: versioned-update), and an update
      // never creates a resource at a client-chosen id
      r.versioning = 'versioned-update'
      r.updateCreate = false
    }
  }
  for (const p of input.profiles ?? []) {
    const r = resources.get(p.type)
    if (r !== undefined) r.supportedProfile = [...new Set([...(r.supportedProfile ?? []), p.url])]
  }
  const sorted = [...resources.values()].sort((a, b) => (a.type ?? '').localeCompare(b.type ?? ''))
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: input.date,
    publisher: 'WorkWell Gateway',
    kind: 'instance',
    software: { name: 'WorkWell Gateway', version: input.version },
    implementation: { description: 'WorkWell referral gateway', url: input.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [{
      mode: 'server',
      documentation: 'Referrals in as ServiceRequest; triage and signposting out as Task. Every error is an OperationOutcome.',
      // every route but this statement (and /health) needs a bearer token
      security: {
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth', display: 'OAuth' }] }],
        description: 'Authorization: Bearer <JWT> signed RS256 or ES256 by a trusted issuer. Roles from scope workwell/referrer (ods claim), workwell/partnership (partnership claim) or workwell/operator. Resources a caller may not see answer 404.'
      },
      resource: sorted,
      interaction: [...systemInteractions].sort().map((code) => ({ code: code as 'transaction' })),
      operation: [...systemOperations.entries()].map(([name, definition]) => ({ name, definition }))
    }],
    // NHS BaRS messaging (src/bars/): listed only when $process-message is routed
    ...(systemOperations.has('process-message')
      ? {
          messaging: [{
            documentation: 'NHS BaRS: referrals in as servicerequest-request messages on $process-message, one request definition per BaRS service id the gateway offers; answers and later outcomes as servicerequest-response messages. GET /fhir/MessageDefinition?context=<service id> lists the resources each carries.',
            supportedMessage: (input.supportedMessages ?? [
              { mode: 'receiver' as const, definition: MESSAGE_DEFINITION_URLS.referral },
              { mode: 'receiver' as const, definition: MESSAGE_DEFINITION_URLS.cancellation },
              { mode: 'sender' as const, definition: MESSAGE_DEFINITION_URLS.response }
            ]).map((m) => ({ mode: m.mode, definition: m.definition }))
          }]
        }
      : {})
  }
}
