import type { EndpointCatalogue } from '../bars/endpoint-catalogue.ts'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts'
import type { FhirRouteInfo, RouteCatalogue } from '../fhir/route-catalogue.ts'
import type { IntakeDeps } from '../intake/accept-referral.ts'
import type { Partnership } from '../routing/partnership.ts'
import type { RoutingIndex } from '../routing/route-referral.ts'
import type { Store } from '../store/store.ts'
import type { ResolvedRules } from '../triage/rules.ts'
import type { ResourceValidator } from '../validation/validator.ts'

/** What the thin HTTP adapters are given; nothing is reached through globals. */
export interface RouteDeps {
  config: Config
  store: Store
  validator: ResourceValidator
  partnerships: Map<string, Partnership>
  triageRules: Map<string, ResolvedRules>
  routing: RoutingIndex
  catalogue: RouteCatalogue
  clock: Clock
  newId: () => string
  /** referral references (src/reference/); app.ts always sets it */
  newReference?: () => string
  version: string
  /** the intake's dependencies, built once in the composition root (app.ts) for every door */
  intake: IntakeDeps
  /** the BaRS Endpoint Catalogue (WORKWELL_BARS_ENDPOINTS), read once at start */
  endpoints: EndpointCatalogue
  /** where domain events are counted (app.ts always sets it) */
  metrics?: Pick<GatewayMetrics, 'triageOutcome'>
}

declare module 'fastify' {
  interface FastifyContextConfig {
    fhir?: FhirRouteInfo
  }
  interface FastifyRequest {
    correlationId: string
  }
}
