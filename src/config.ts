import path from 'node:path'
import { DEVELOPMENT_ENVS, loadSecurityConfig, type SecurityConfig } from './auth/auth-config.ts'
import { loadConsoleConfig, type ConsoleConfig } from './console/console-config.ts'
import { loadTlsConfig, type TlsConfig } from './tls/tls-config.ts'
import { DEFAULT_DUPLICATE_KEY } from './intake/duplicate-referrals.ts'

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
  /**
   * ODS epraccur-format GP practice file (WORKWELL_ODS_PRACTICES_FILE): when set, a
   * partnership's practices include every active one its sub-ICB locations commission
   */
  odsPracticesFile?: string
  /** days a rule file or partnership.json may run past its review date before triage for that partnership is held (WORKWELL_RULES_REVIEW_GRACE_DAYS) */
  rulesReviewGraceDays: number
  /**
   * linking the same person's referrals (src/intake/duplicate-referrals.ts): the HMAC key of
   * the NHS number digest (WORKWELL_DUPLICATE_KEY, never logged) and how many days back an
   * earlier referral counts (WORKWELL_DUPLICATE_WINDOW_DAYS)
   */
  duplicates: { key: string, windowDays: number }
  /** days since a directory entry's phone number or address was checked before an alert asks for a new check (WORKWELL_DIRECTORY_CHECK_MAX_DAYS) */
  directoryCheckMaxDays: number
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
    /** failures the breaker's window must hold before its failure rate may open the circuit */
    breakerFailures: number
    /** how long an open circuit waits before each probe (the probe interval of a partner that is down) */
    breakerOpenMs: number
    /** failure rate, in percent, over the window at which the partner is taken to be down */
    breakerFailureRatePercent: number
    /** the breaker's sliding window, in calls */
    breakerWindowCalls: number
    /** probes a half-open circuit admits (the first alone) */
    breakerProbes: number
    /** how long a failing referral is retried before it is a dead letter (a partnership may set its own) */
    retryWindowHours: number
  }
  /** when a delivery problem raises an alert (src/alerts/) */
  alerts: {
    /** a circuit open longer than this */
    circuitOpenMs: number
    /** a pending row older than this */
    oldestPendingMs: number
    /** how often the alerts are worked out again */
    checkIntervalMs: number
  }
  /** what is pruned when (src/retention/; docs/retention.md) */
  retention: {
    /** delivered outbox rows, days after delivery */
    deliveredDays: number
    /** audit records, days after they were recorded */
    auditDays: number
    /** how often the server prunes; 0 turns the scheduled prune off */
    pruneIntervalMs: number
  }
  /** An unfinished X-Request-Id claim older than this is treated as abandoned by a dead process. */
  requestIdStaleMs: number
  shutdownTimeoutMs: number
  /** DATABASE_URL: when set, the store is PostgreSQL (shared by several instances); otherwise SQLite in dataDir */
  databaseUrl?: string
  /** connections each instance keeps to PostgreSQL */
  databasePoolSize: number
  /** SQLite: run writes on a worker thread (group commit off the event loop) */
  sqliteWriterThread: boolean
  /** WORKWELL_PARTNER_URL_<ID>: per-environment override of a partnership's endpoint, by partnership id */
  partnerUrls: Record<string, string>
  /** WORKWELL_PARTNER_SECRET_<ID>: HMAC-SHA256 key that signs deliveries, by partnership id. Never logged. */
  partnerSecrets: Record<string, string>
  /** bearer tokens, rate limit, overload and timeouts (src/auth/) */
  security: SecurityConfig
  /** NHS BaRS messaging (src/bars/) */
  bars: {
    /** the gateway's own BaRS endpoint, "system|value": MessageHeader.destination.endpoint and NHSD-Target-Identifier must name it */
    serviceId: string
    /** JSON file mapping a referrer's "system|value" endpoint to its $process-message URL */
    endpointCatalogue: string
  }
  /** the browser console at /console (src/console/) */
  console: ConsoleConfig
  /** HTTPS, client certificates and trusted BaRS proxies (src/tls/); undefined is plain HTTP */
  tls?: TlsConfig
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
  { name: 'DATABASE_URL', default: '(none: SQLite)', description: 'postgres://user@host:port/db switches the store to PostgreSQL, shared by several instances' },
  { name: 'WORKWELL_DATABASE_POOL', default: '10', description: 'PostgreSQL connections per instance' },
  { name: 'WORKWELL_SQLITE_WRITER_THREAD', default: 'true', description: 'SQLite writes (group-committed) on a worker thread, off the event loop' },
  { name: 'LOG_LEVEL', default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace, silent' },
  { name: 'WORKWELL_BASE_URL', default: 'http://HOST:PORT/fhir', description: 'public FHIR base used in fullUrl and paging links' },
  { name: 'WORKWELL_PROFILES_DIR', default: './profiles', description: 'WorkWell StructureDefinitions loaded at start' },
  { name: 'WORKWELL_MAPPINGS_DIR', default: './mappings', description: 'one folder per partnership (partnership.json, mapping.json)' },
  // triage (src/triage/, src/routing/ods-practices.ts)
  { name: 'WORKWELL_ODS_PRACTICES_FILE', default: '(none: listed practices only)', description: 'ODS epraccur GP practice file: each partnership\'s practices include every active practice its subIcbCodes commission' },
  { name: 'WORKWELL_RULES_REVIEW_GRACE_DAYS', default: '30', description: 'days a rule file or partnership.json may run past its reviewBy date (an alert) before triage for that partnership is held for clinical review' },
  { name: 'WORKWELL_DIRECTORY_CHECK_MAX_DAYS', default: '180', description: 'days since a triage directory entry\'s phone number or web address was checked against its source before a DirectoryCheckOverdue alert asks for a new check' },
  { name: 'WORKWELL_DUPLICATE_WINDOW_DAYS', default: '28', description: 'days back an earlier referral of the same NHS number is linked to a new one and flagged to the partnership (docs/decisions/duplicate-referrals.md)' },
  { name: 'WORKWELL_DUPLICATE_KEY', default: '(a built-in key: the digest is then only a pseudonym)', description: 'HMAC-SHA256 key of the NHS number digest referrals are linked by (at least 32 characters, the same on every instance; never logged)' },
  { name: 'WORKWELL_BODY_LIMIT', default: '1048576', description: 'largest request body in bytes (larger is 413)' },
  { name: 'WORKWELL_DELIVERY_ENABLED', default: 'true', description: 'run the delivery worker inside the server' },
  { name: 'WORKWELL_DELIVERY_POLL_MS', default: '1000', description: 'how often the worker looks for due deliveries' },
  { name: 'WORKWELL_DELIVERY_BATCH', default: '20', description: 'deliveries claimed per poll' },
  { name: 'WORKWELL_DELIVERY_LEASE_MS', default: '60000', description: 'how long a claimed delivery is leased to this instance' },
  { name: 'WORKWELL_DELIVERY_TIMEOUT_MS', default: '10000', description: 'connect, header and body timeout for a partnership call' },
  { name: 'WORKWELL_REQUEST_ID_STALE_MS', default: '60000', description: 'age after which an unfinished X-Request-Id is taken over' },
  { name: 'WORKWELL_SHUTDOWN_TIMEOUT_MS', default: '10000', description: 'longest wait for in-flight work on SIGINT/SIGTERM' },
  { name: 'WORKWELL_PARTNER_URL_<ID>', default: '(partnership.json)', description: 'endpoint override per partnership, id in upper snake case: an http(s) URL, or for csv a file:/// folder (daily file drop)' },
  { name: 'WORKWELL_DELIVERY_CONCURRENCY', default: '50', description: 'deliveries in flight at once, across all partnerships' },
  { name: 'WORKWELL_DELIVERY_CONNECTIONS', default: '10', description: 'sockets in each partnership\'s connection pool' },
  { name: 'WORKWELL_DELIVERY_CONNECT_TIMEOUT_MS', default: '5000', description: 'TCP/TLS connect timeout for a partnership call' },
  { name: 'WORKWELL_DELIVERY_BACKOFF_BASE_MS', default: '1000', description: 'first retry delay ceiling; doubles per attempt, full jitter' },
  { name: 'WORKWELL_DELIVERY_BACKOFF_CAP_MS', default: '60000', description: 'longest retry delay (the probe interval while the partner is down), also the most a Retry-After is honoured' },
  { name: 'WORKWELL_BREAKER_FAILURES', default: '20', description: 'failures the breaker\'s window must hold before its failure rate may open a partnership\'s circuit' },
  { name: 'WORKWELL_BREAKER_OPEN_MS', default: '30000', description: 'probe interval of an open circuit: a partner that is down gets one probe per interval' },
  { name: 'WORKWELL_BREAKER_FAILURE_RATE', default: '95', description: 'failure rate (percent) over the window that means the partner is down, not degraded' },
  { name: 'WORKWELL_BREAKER_WINDOW_CALLS', default: '40', description: 'the breaker\'s sliding window: the last this many calls to a partnership' },
  { name: 'WORKWELL_BREAKER_PROBES', default: '3', description: 'probes a half-open circuit admits before it closes (the first alone)' },
  { name: 'WORKWELL_DELIVERY_RETRY_WINDOW_HOURS', default: '120', description: 'how long a failing referral is retried before it is a dead letter (5 days, as NHS MESH); partnership.json delivery.retryWindowHours overrides' },
  { name: 'WORKWELL_ALERT_CIRCUIT_OPEN_MS', default: '1800000', description: 'a circuit open longer than this raises an alert' },
  { name: 'WORKWELL_ALERT_OLDEST_PENDING_MS', default: '14400000', description: 'a pending delivery older than this raises an alert' },
  { name: 'WORKWELL_ALERT_CHECK_MS', default: '30000', description: 'how often alerts are worked out again' },
  { name: 'WORKWELL_RETAIN_DELIVERED_DAYS', default: '30', description: 'days a delivered outbox row is kept (docs/retention.md)' },
  { name: 'WORKWELL_RETAIN_AUDIT_DAYS', default: '2922', description: 'days an audit record is kept: 8 years (docs/retention.md)' },
  { name: 'WORKWELL_PRUNE_INTERVAL_MS', default: '86400000', description: 'how often the server prunes; 0 turns it off (`npx workwell prune` still works)' },
  { name: 'WORKWELL_PARTNER_SECRET_<ID>', default: '(none: unsigned)', description: 'HMAC-SHA256 key signing deliveries to a partnership (at least 32 characters)' },
  // the | is escaped as the README's table needs it (GFM splits cells on a bare |, even in code)
  { name: 'WORKWELL_BARS_SERVICE_ID', default: 'https://fhir.workwell.example/Id/bars-service\\|workwell', description: 'the gateway\'s own BaRS service id (system|value), beside each partnership\'s barsServices: MessageHeader.destination and NHSD-Target-Identifier must name one of them' },
  { name: 'WORKWELL_BARS_ENDPOINTS', default: './fixtures/bars/endpoint-catalogue.json', description: 'BaRS endpoint catalogue: referrer endpoint (system|value) to its $process-message URL' },
  // security (src/auth/auth-config.ts)
  { name: 'NODE_ENV', default: '(unset: development)', description: 'unset, development or test is development; any other value is production: WORKWELL_AUTH_ISSUERS and WORKWELL_DUPLICATE_KEY are required, no dev tokens are minted, partnership endpoints must be https' },
  { name: 'WORKWELL_AUTH_ISSUERS', default: '(none: dev key in the data folder)', description: 'trusted token issuers, comma-separated ISSUER=JWKS pairs; JWKS is an https URL or a JWKS file path' },
  { name: 'WORKWELL_AUTH_AUDIENCE', default: '(WORKWELL_BASE_URL)', description: 'the aud every bearer token must name' },
  { name: 'WORKWELL_AUTH_CLOCK_SKEW_S', default: '30', description: 'seconds of leeway on a token\'s exp and nbf' },
  { name: 'WORKWELL_AUTH_TOKEN_CACHE_S', default: '60', description: 'seconds a verified token is trusted before its signature is checked again (exp and nbf are checked on every use); 0 checks every time' },
  { name: 'WORKWELL_RATE_LIMIT', default: '6000', description: 'requests per client (token subject, else address) per window; 0 turns it off' },
  { name: 'WORKWELL_RATE_LIMIT_WINDOW_MS', default: '60000', description: 'the rate limit\'s window' },
  { name: 'WORKWELL_MAX_EVENT_LOOP_DELAY_MS', default: '1000', description: 'mean event-loop delay above which requests get 503 (0: off)' },
  { name: 'WORKWELL_REQUEST_TIMEOUT_MS', default: '30000', description: 'longest time to receive a whole request (slow senders get 408)' },
  // the browser console (src/console/console-config.ts)
  { name: 'WORKWELL_CONSOLE_IDLE_MIN', default: '15', description: 'minutes a console session may sit unused before it ends' },
  { name: 'WORKWELL_CONSOLE_MAX_HOURS', default: '12', description: 'hours after which a console session ends however it is used' },
  { name: 'WORKWELL_CONSOLE_OIDC_ISSUER', default: '(none: development sign-in only)', description: 'OpenID provider for console sign-in (authorization code with PKCE)' },
  { name: 'WORKWELL_CONSOLE_OIDC_CLIENT_ID', default: '(none)', description: 'the console\'s client id at the provider' },
  { name: 'WORKWELL_CONSOLE_OIDC_CLIENT_SECRET', default: '(none)', description: 'the console\'s client secret (never logged)' },
  { name: 'WORKWELL_CONSOLE_OIDC_REDIRECT_URI', default: '(none)', description: 'public URL of /console/oidc/callback, as registered' },
  { name: 'WORKWELL_CONSOLE_OIDC_SCOPE', default: 'openid profile', description: 'scopes asked for at sign-in' },
  { name: 'WORKWELL_CONSOLE_OIDC_CLAIMS', default: 'roles=roles,partnership=partnership,ods=ods,name=name', description: 'claims that carry the console role, partnership ids, ODS codes and display name' },
  // transport (src/tls/tls-config.ts)
  { name: 'WORKWELL_TLS_CERT', default: '(none: plain HTTP)', description: 'PEM certificate (chain) of the gateway: serve HTTPS, TLS 1.2+; re-read on SIGHUP' },
  { name: 'WORKWELL_TLS_KEY', default: '(none)', description: 'PEM private key of WORKWELL_TLS_CERT; re-read on SIGHUP' },
  { name: 'WORKWELL_TLS_CLIENT_CA', default: '(none: no client certificates)', description: 'PEM bundle: every connection must present a client certificate issued under it; re-read on SIGHUP' },
  { name: 'WORKWELL_BARS_PROXY_SUBJECTS', default: '(none)', description: 'comma-separated subject CNs or SAN DNS names of trusted BaRS proxies: their requests act for the ODS code in NHSD-End-User-Organisation' }
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

/** DATABASE_URL when set: a postgres:// URL (the message never quotes it, it may hold a password). */
function databaseUrl (env: Env): { databaseUrl?: string } {
  const raw = (env.DATABASE_URL ?? '').trim()
  if (raw === '') return {}
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError('DATABASE_URL', 'expected a postgres:// URL')
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `expected a postgres:// URL, got a ${url.protocol} URL`)
  }
  return { databaseUrl: raw }
}

/**
 * WORKWELL_DUPLICATE_KEY, or the built-in key when unset in development; the message never
 * shows the value. Production refuses to start without one: with a key anyone can read in the
 * source, a stored digest of a ten-digit NHS number is undone by trying them all.
 */
function duplicateKey (env: Env): string {
  const value = env.WORKWELL_DUPLICATE_KEY ?? ''
  if (value === '') {
    if (!DEVELOPMENT_ENVS.has((env.NODE_ENV ?? '').trim())) throw new ConfigError('WORKWELL_DUPLICATE_KEY', 'required in production (NODE_ENV is not unset, development or test): the built-in key is public')
    return DEFAULT_DUPLICATE_KEY
  }
  if (value.length < 32) throw new ConfigError('WORKWELL_DUPLICATE_KEY', 'expected at least 32 characters')
  return value
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
      // a file:/// folder is a csv partnership's daily file drop (src/delivery/file-drop.ts)
      partnerUrls[m[1].toLowerCase().replaceAll('_', '-')] = /^file:\/\/\//i.test(value.trim()) ? value.trim() : httpUrl(key, value.trim())
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
    ...((env.WORKWELL_ODS_PRACTICES_FILE ?? '').trim() === '' ? {} : { odsPracticesFile: dir('WORKWELL_ODS_PRACTICES_FILE', '') }),
    rulesReviewGraceDays: integer(env, 'WORKWELL_RULES_REVIEW_GRACE_DAYS', 30, 0, 3650),
    duplicates: { key: duplicateKey(env), windowDays: integer(env, 'WORKWELL_DUPLICATE_WINDOW_DAYS', 28, 1, 3650) },
    directoryCheckMaxDays: integer(env, 'WORKWELL_DIRECTORY_CHECK_MAX_DAYS', 180, 1, 3650),
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
      backoffCapMs: integer(env, 'WORKWELL_DELIVERY_BACKOFF_CAP_MS', 60_000, 1, 86_400_000),
      breakerFailures: integer(env, 'WORKWELL_BREAKER_FAILURES', 20, 1, 1000),
      breakerOpenMs: integer(env, 'WORKWELL_BREAKER_OPEN_MS', 30_000, 10, 3_600_000),
      breakerFailureRatePercent: integer(env, 'WORKWELL_BREAKER_FAILURE_RATE', 95, 1, 100),
      breakerWindowCalls: integer(env, 'WORKWELL_BREAKER_WINDOW_CALLS', 40, 1, 10_000),
      breakerProbes: integer(env, 'WORKWELL_BREAKER_PROBES', 3, 1, 100),
      retryWindowHours: integer(env, 'WORKWELL_DELIVERY_RETRY_WINDOW_HOURS', 120, 1, 720)
    },
    alerts: {
      circuitOpenMs: integer(env, 'WORKWELL_ALERT_CIRCUIT_OPEN_MS', 1_800_000, 1, 604_800_000),
      oldestPendingMs: integer(env, 'WORKWELL_ALERT_OLDEST_PENDING_MS', 14_400_000, 1, 2_592_000_000),
      checkIntervalMs: integer(env, 'WORKWELL_ALERT_CHECK_MS', 30_000, 10, 3_600_000)
    },
    retention: {
      deliveredDays: integer(env, 'WORKWELL_RETAIN_DELIVERED_DAYS', 30, 1, 36_500),
      auditDays: integer(env, 'WORKWELL_RETAIN_AUDIT_DAYS', 2922, 1, 36_500),
      pruneIntervalMs: integer(env, 'WORKWELL_PRUNE_INTERVAL_MS', 86_400_000, 0, 2_592_000_000)
    },
    requestIdStaleMs: integer(env, 'WORKWELL_REQUEST_ID_STALE_MS', 60_000, 1000, 86_400_000),
    shutdownTimeoutMs: integer(env, 'WORKWELL_SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    ...databaseUrl(env),
    databasePoolSize: integer(env, 'WORKWELL_DATABASE_POOL', 10, 1, 1000),
    sqliteWriterThread: boolean(env, 'WORKWELL_SQLITE_WRITER_THREAD', true),
    partnerUrls,
    partnerSecrets,
    security: loadSecurityConfig(env, cwd, baseUrl),
    bars: {
      serviceId: barsServiceId(env),
      endpointCatalogue: dir('WORKWELL_BARS_ENDPOINTS', './fixtures/bars/endpoint-catalogue.json')
    },
    console: loadConsoleConfig(env, (env.NODE_ENV ?? '').trim() === 'production'),
    ...tlsOf(env, cwd)
  }
}

function tlsOf (env: Env, cwd: string): { tls?: TlsConfig } {
  const tls = loadTlsConfig(env, cwd)
  return tls === undefined ? {} : { tls }
}

/** WORKWELL_BARS_SERVICE_ID: "system|value", as BaRS writes endpoints (MessageHeader.source.endpoint). */
function barsServiceId (env: Env): string {
  const raw = (env.WORKWELL_BARS_SERVICE_ID ?? '').trim() || 'https://fhir.workwell.example/Id/bars-service|workwell'
  const [system, value, extra] = raw.split('|')
  if (extra !== undefined || system === undefined || value === undefined || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(system) || value.trim() === '') {
    throw new ConfigError('WORKWELL_BARS_SERVICE_ID', `expected "system|value" with an absolute system URI, got "${raw}"`)
  }
  return raw
}
