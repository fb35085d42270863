import { loadEndpointCatalogueSync, type EndpointCatalogue } from '../bars/endpoint-catalogue.ts'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import { packageVersion } from '../gateway-deps.ts'
import type { Mapping } from '../mapping/mapping.ts'
import type { Partnership } from '../routing/partnership.ts'
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts'
import type { DeliveryLogger } from './delivery-logger.ts'
import { createDeliveryWorker } from './worker.ts'
import type { DeliveryStore, DeliveryWorker } from './worker.ts'

/** What the server and `workwell worker` both hand over. */
export interface ConfiguredWorkerDeps {
  config: Config
  store: DeliveryStore
  partnerships: Map<string, Partnership>
  mappings: Map<string, Mapping>
  clock: Clock
  logger: DeliveryLogger
  /** the BaRS Endpoint Catalogue, when the caller has read it already (else read here) */
  endpoints?: EndpointCatalogue
  /** the gateway's version, for BaRS response messages (default: package.json's) */
  version?: string
  /** where delivery outcomes are counted (the server's /metrics; the stand-alone worker has none) */
  metrics?: Pick<GatewayMetrics, 'delivery'>
}

/**
 * Builds the delivery worker from the configuration, so the server and the stand-alone
 * worker command run exactly the same thing.
 * @param deps - configuration, store, partnerships, mappings, clock and logger
 * @throws Error when a signing secret names a partnership that does not exist, or the BaRS
 *   endpoint catalogue (WORKWELL_BARS_ENDPOINTS) cannot be read
 */
export function createConfiguredWorker (deps: ConfiguredWorkerDeps): DeliveryWorker {
  const d = deps.config.delivery
  for (const id of Object.keys(deps.config.partnerSecrets)) {
    if (!deps.partnerships.has(id)) {
      throw new Error(`WORKWELL_PARTNER_SECRET_${id.toUpperCase().replaceAll('-', '_')}: no partnership "${id}"`)
    }
  }
  return createDeliveryWorker({
    store: deps.store,
    partnerships: deps.partnerships,
    mappings: deps.mappings,
    clock: deps.clock,
    logger: deps.logger,
    pollIntervalMs: d.pollIntervalMs,
    batchSize: d.batchSize,
    concurrency: d.concurrency,
    connections: d.connections,
    leaseMs: d.leaseMs,
    requestTimeoutMs: d.requestTimeoutMs,
    connectTimeoutMs: d.connectTimeoutMs,
    backoff: { baseMs: d.backoffBaseMs, factor: 2, capMs: d.backoffCapMs },
    breaker: { minimumFailures: d.breakerFailures, openMs: d.breakerOpenMs, failureRate: d.breakerFailureRatePercent / 100, windowCalls: d.breakerWindowCalls, halfOpenProbes: d.breakerProbes },
    retryWindowMs: d.retryWindowHours * 3_600_000,
    secrets: deps.config.partnerSecrets,
    dataDir: deps.config.dataDir,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    // BaRS response messages go back to referrers through the same outbox (BaRS servicerequest-response)
    bars: {
      catalogue: deps.endpoints ?? loadEndpointCatalogueSync(deps.config.bars.endpointCatalogue),
      ownServiceId: deps.config.bars.serviceId,
      baseUrl: deps.config.baseUrl,
      version: deps.version ?? packageVersion()
    }
  })
}
