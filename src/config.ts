import path from 'node:path'

/** All configuration, read and validated once at start; nothing else reads process.env. */
export interface Config {
  host: string
  port: number
  dataDir: string
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Public FHIR base URL used in Location-free links (fullUrl, paging); defaults to http://HOST:PORT/fhir */
  baseUrl: string
  profilesDir: string
  mappingsDir: string
  bodyLimitBytes: number
  delivery: {
    enabled: boolean
    pollIntervalMs: number
    batchSize: number
    leaseMs: number
    requestTimeoutMs: number
    /** deliveries in flight at once, across all partnerships */
    concurrency: number
    /** sockets in each partnership's pool */
    connections: number
    connectTimeoutMs: number
    /** exponential backoff with full jitter: base·2^(n−1), capped */
    backoffBaseMs: number
    backoffCapMs: number
    /** consecutive retryable failures that open a partnership's circuit */
    breakerFailures: number
    /** how long an open circuit waits before one probe (doubling while probes fail, up to the backoff cap) */
    breakerOpenMs: number
  }
  /** An unfinished X-Request-Id claim older than this is treated as abandoned by a dead process. */
  requestIdStaleMs: number
  shutdownTimeoutMs: number
  /** WORKWELL_PARTNER_URL_<ID>: per-environment override of a partnership's endpoint, by partnership id */
  partnerUrls: Record<string, string>
  /** WORKWELL_PARTNER_SECRET_<ID>: HMAC-SHA256 key that signs deliveries, by partnership id. Never logged. */
  partnerSecrets: Record<string, string>
}

/** A configuration value that stops the start; the message names the variable. */
export class ConfigError extends Error {
  readonly variable: string
  constructor (variable: string, message: string) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

type Env = Record<string, string | undefined>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** One row per variable: the README's configuration table is checked against this list by a test. */
export const CONFIG_VARIABLES: ReadonlyArray<{ name: string, default: string, description: string }> = [
  { name: 'HOST', default: '127.0.0.1', description: 'address to listen on' },
  { name: 'PORT', default: '8080', description: 'port to listen on (0 picks a free one)' },
  { name: 'WORKWELL_DATA_DIR', default: './data', description: 'folder for the SQLite database (created if absent)' },
  { name: 'LOG_LEVEL', default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace, silent' },
  { name: 'WORKWELL_BASE_URL', default: 'http://HOST:PORT/fhir', description: 'public FHIR base used in fullUrl and paging links' },
  { name: 'WORKWELL_PROFILES_DIR', default: './profiles', description: 'WorkWell StructureDefinitions loaded at start' },
  { name: 'WORKWELL_MAPPINGS_DIR', default: './mappings', description: 'one folder per partnership (partnership.json, mapping.json)' },
  { name: 'WORKWELL_BODY_LIMIT', default: '1048576', description: 'largest request body in bytes (larger is 413)' },
  { name: 'WORKWELL_DELIVERY_ENABLED', default: 'true', description: 'run the delivery worker inside the server' },
  { name: 'WORKWELL_DELIVERY_POLL_MS', default: '1000', description: 'how often the worker looks for due deliveries' },
  { name: 'WORKWELL_DELIVERY_BATCH', default: '20', description: 'deliveries claimed per poll' },
  { name: 'WORKWELL_DELIVERY_LEASE_MS', default: '60000', description: 'how long a claimed delivery is leased to this instance' },
  { name: 'WORKWELL_DELIVERY_TIMEOUT_MS', default: '10000', description: 'connect, header and body timeout for a partnership call' },
  { name: 'WORKWELL_REQUEST_ID_STALE_MS', default: '60000', description: 'age after which an unfinished X-Request-Id is taken over' },
  { name: 'WORKWELL_SHUTDOWN_TIMEOUT_MS', default: '10000', description: 'longest wait for in-flight work on SIGINT/SIGTERM' },
  { name: 'WORKWELL_PARTNER_URL_<ID>', default: '(partnership.json)', description: 'endpoint override per partnership, id in upper snake case' },
  { name: 'WORKWELL_DELIVERY_CONCURRENCY', default: '50', description: 'deliveries in flight at once, across all partnerships' },
  { name: 'WORKWELL_DELIVERY_CONNECTIONS', default: '10', description: 'sockets in each partnership\'s connection pool' },
  { name: 'WORKWELL_DELIVERY_CONNECT_TIMEOUT_MS', default: '5000', description: 'TCP/TLS connect timeout for a partnership call' },
  { name: 'WORKWELL_DELIVERY_BACKOFF_BASE_MS', default: '1000', description: 'first retry delay ceiling; doubles per attempt, full jitter' },
  { name: 'WORKWELL_DELIVERY_BACKOFF_CAP_MS', default: '600000', description: 'longest retry delay, also the most a Retry-After is honoured' },
  { name: 'WORKWELL_BREAKER_FAILURES', default: '5', description: 'consecutive failures that open a partnership\'s circuit' },
  { name: 'WORKWELL_BREAKER_OPEN_MS', default: '30000', description: 'wait before an open circuit lets one probe through' },
  { name: 'WORKWELL_PARTNER_SECRET_<ID>', default: '(none: unsigned)', description: 'HMAC-SHA256 key signing deliveries to a partnership (at least 32 characters)' }
]

function integer (env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') {
    return fallback
  }
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(name, `expected a whole number, got "${raw}"`)
  }
  const value = Number(raw.trim())
  if (value < min || value > max) {
    throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${value}`)
  }
  return value
}

function boolean (env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') {
    return fallback
  }
  const v = raw.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(v)) return true
  if (['false', '0', 'no', 'off'].includes(v)) return false
  throw new ConfigError(name, `expected true or false, got "${raw}"`)
}

function httpUrl (name: string, raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(name, `expected an absolute http(s) URL, got "${raw}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `expected an http(s) URL, got "${raw}"`)
  }
  return url.toString()
}

/**
 * Reads and validates the configuration from an environment map.
 * @param env - usually process.env; tests pass their own
 * @param cwd - folder that relative paths are resolved against
 */
export function loadConfig (env: Env, cwd: string): Config {
  const host = (env.HOST ?? '').trim() || '127.0.0.1'
  const port = integer(env, 'PORT', 8080, 0, 65535)
  const logLevel = ((env.LOG_LEVEL ?? '').trim() || 'info') as Config['logLevel']
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL ?? ''}"`)
  }
  const baseUrlRaw = env.WORKWELL_BASE_URL?.trim()
  const baseUrl = (baseUrlRaw !== undefined && baseUrlRaw !== ''
    ? httpUrl('WORKWELL_BASE_URL', baseUrlRaw)
    : `http://${host.includes(':') ? `[${host}]` : host}:${port}/fhir`).replace(/\/$/, '')

  const partnerUrls: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    const m = /^WORKWELL_PARTNER_URL_([A-Z0-9_]+)$/.exec(key)
    if (m?.[1] !== undefined && value !== undefined && value !== '') {
      partnerUrls[m[1].toLowerCase().replaceAll('_', '-')] = httpUrl(key, value.trim())
    }
  }

  const partnerSecrets: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    const m = /^WORKWELL_PARTNER_SECRET_([A-Z0-9_]+)$/.exec(key)
    if (m?.[1] !== undefined && value !== undefined && value !== '') {
      // the message names the variable, never the value
      if (value.length < 32) throw new ConfigError(key, 'expected at least 32 characters')
      partnerSecrets[m[1].toLowerCase().replaceAll('_', '-')] = value
    }
  }

  const dir = (name: string, fallback: string): string => path.resolve(cwd, (env[name] ?? '').trim() || fallback)

  return {
    host,
    port,
    dataDir: dir('WORKWELL_DATA_DIR', './data'),
    logLevel,
    baseUrl,
    profilesDir: dir('WORKWELL_PROFILES_DIR', './profiles'),
    mappingsDir: dir('WORKWELL_MAPPINGS_DIR', './mappings'),
    bodyLimitBytes: integer(env, 'WORKWELL_BODY_LIMIT', 1_048_576, 1024, 64 * 1_048_576),
    delivery: {
      enabled: boolean(env, 'WORKWELL_DELIVERY_ENABLED', true),
      pollIntervalMs: integer(env, 'WORKWELL_DELIVERY_POLL_MS', 1000, 10, 3_600_000),
      batchSize: integer(env, 'WORKWELL_DELIVERY_BATCH', 20, 1, 1000),
      leaseMs: integer(env, 'WORKWELL_DELIVERY_LEASE_MS', 60_000, 1000, 3_600_000),
      requestTimeoutMs: integer(env, 'WORKWELL_DELIVERY_TIMEOUT_MS', 10_000, 100, 600_000),
      concurrency: integer(env, 'WORKWELL_DELIVERY_CONCURRENCY', 50, 1, 10_000),
      connections: integer(env, 'WORKWELL_DELIVERY_CONNECTIONS', 10, 1, 1000),
      connectTimeoutMs: integer(env, 'WORKWELL_DELIVERY_CONNECT_TIMEOUT_MS', 5_000, 10, 600_000),
      backoffBaseMs: integer(env, 'WORKWELL_DELIVERY_BACKOFF_BASE_MS', 1_000, 1, 3_600_000),
      backoffCapMs: integer(env, 'WORKWELL_DELIVERY_BACKOFF_CAP_MS', 600_000, 1, 86_400_000),
      breakerFailures: integer(env, 'WORKWELL_BREAKER_FAILURES', 5, 1, 1000),
      breakerOpenMs: integer(env, 'WORKWELL_BREAKER_OPEN_MS', 30_000, 10, 3_600_000)
    },
    requestIdStaleMs: integer(env, 'WORKWELL_REQUEST_ID_STALE_MS', 60_000, 1000, 86_400_000),
    shutdownTimeoutMs: integer(env, 'WORKWELL_SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    partnerUrls,
    partnerSecrets
  }
}
