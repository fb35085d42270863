import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { DEFAULT_DUPLICATE_KEY } from '../../src/intake/duplicate-referrals.ts'

const CWD = path.resolve('/srv/workwell')

/** Runs loadConfig and returns the ConfigError it throws; fails the test if it throws nothing else. */
function configError (env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, CWD)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
}

describe('loadConfig defaults', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(loadConfig({}, CWD)).toStrictEqual({
      host: '127.0.0.1',
      port: 8080,
      dataDir: path.join(CWD, 'data'),
      logLevel: 'info',
      baseUrl: 'http://127.0.0.1:8080/fhir',
      profilesDir: path.join(CWD, 'profiles'),
      mappingsDir: path.join(CWD, 'mappings'),
      rulesReviewGraceDays: 30,
      duplicates: { key: DEFAULT_DUPLICATE_KEY, windowDays: 28 },
      directoryCheckMaxDays: 180,
      bodyLimitBytes: 1_048_576,
      delivery: {
        enabled: true,
        pollIntervalMs: 1000,
        batchSize: 20,
        leaseMs: 60_000,
        requestTimeoutMs: 10_000,
        concurrency: 50,
        connections: 10,
        connectTimeoutMs: 5_000,
        backoffBaseMs: 1_000,
        backoffCapMs: 60_000,
        breakerFailures: 20,
        breakerOpenMs: 30_000,
        breakerFailureRatePercent: 95,
        breakerWindowCalls: 40,
        breakerProbes: 3,
        retryWindowHours: 120
      },
      alerts: { circuitOpenMs: 1_800_000, oldestPendingMs: 14_400_000, checkIntervalMs: 30_000 },
      retention: { deliveredDays: 30, auditDays: 2922, pruneIntervalMs: 86_400_000 },
      requestIdStaleMs: 60_000,
      shutdownTimeoutMs: 10_000,
      databasePoolSize: 10,
      sqliteWriterThread: true,
      partnerUrls: {},
      partnerSecrets: {},
      security: {
        production: false,
        issuers: [],
        audience: 'http://127.0.0.1:8080/fhir',
        clockSkewSeconds: 30,
        tokenCacheSeconds: 60,
        rateLimitMax: 6000,
        rateLimitWindowMs: 60_000,
        maxEventLoopDelayMs: 1000,
        nodeEnv: '',
        requestTimeoutMs: 30_000
      },
      bars: {
        serviceId: 'https://fhir.workwell.example/Id/bars-service|workwell',
        endpointCatalogue: path.join(CWD, 'fixtures/bars/endpoint-catalogue.json')
      },
      console: { idleMinutes: 15, maxHours: 12 }
    })
  })

  it('treats empty values as unset', () => {
    const config = loadConfig({
      HOST: '',
      PORT: '',
      LOG_LEVEL: '',
      WORKWELL_BASE_URL: '',
      WORKWELL_DATA_DIR: '',
      WORKWELL_BODY_LIMIT: '',
      WORKWELL_DELIVERY_ENABLED: '',
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: ''
    }, CWD)
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      baseUrl: 'http://127.0.0.1:8080/fhir',
      dataDir: path.join(CWD, 'data'),
      bodyLimitBytes: 1_048_576,
      delivery: { enabled: true },
      partnerUrls: {}
    })
  })
})

describe('loadConfig parses each variable', () => {
  it('reads host, port, paths, log level and limits', () => {
    const config = loadConfig({
      HOST: ' 0.0.0.0 ',
      PORT: ' 9000 ',
      LOG_LEVEL: 'debug',
      WORKWELL_DATA_DIR: 'var/db',
      WORKWELL_PROFILES_DIR: '/etc/workwell/profiles',
      WORKWELL_MAPPINGS_DIR: '../shared/mappings',
      WORKWELL_BODY_LIMIT: '2048',
      WORKWELL_REQUEST_ID_STALE_MS: '5000',
      WORKWELL_SHUTDOWN_TIMEOUT_MS: '250'
    }, CWD)
    expect(config.host).toBe('0.0.0.0')
    expect(config.port).toBe(9000)
    expect(config.logLevel).toBe('debug')
    expect(config.dataDir).toBe(path.join(CWD, 'var', 'db'))
    expect(config.profilesDir).toBe(path.resolve('/etc/workwell/profiles'))
    expect(config.mappingsDir).toBe(path.resolve(CWD, '../shared/mappings'))
    expect(config.bodyLimitBytes).toBe(2048)
    expect(config.requestIdStaleMs).toBe(5000)
    expect(config.shutdownTimeoutMs).toBe(250)
  })

  it('reads DATABASE_URL and the pool size for the PostgreSQL store', () => {
    const config = loadConfig({ DATABASE_URL: ' postgresql://gw@db.internal:5432/workwell ', WORKWELL_DATABASE_POOL: '25' }, CWD)
    expect(config.databaseUrl).toBe('postgresql://gw@db.internal:5432/workwell')
    expect(config.databasePoolSize).toBe(25)
  })

  it('accepts every pino level', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const) {
      expect(loadConfig({ LOG_LEVEL: level }, CWD).logLevel).toBe(level)
    }
  })

  it('reads the delivery settings', () => {
    const config = loadConfig({
      WORKWELL_DELIVERY_ENABLED: 'false',
      WORKWELL_DELIVERY_POLL_MS: '250',
      WORKWELL_DELIVERY_BATCH: '5',
      WORKWELL_DELIVERY_LEASE_MS: '30000',
      WORKWELL_DELIVERY_TIMEOUT_MS: '1500',
      WORKWELL_DELIVERY_CONCURRENCY: '8',
      WORKWELL_DELIVERY_CONNECTIONS: '3',
      WORKWELL_DELIVERY_CONNECT_TIMEOUT_MS: '700',
      WORKWELL_DELIVERY_BACKOFF_BASE_MS: '20',
      WORKWELL_DELIVERY_BACKOFF_CAP_MS: '9000',
      WORKWELL_BREAKER_FAILURES: '2',
      WORKWELL_BREAKER_OPEN_MS: '400',
      WORKWELL_BREAKER_FAILURE_RATE: '80',
      WORKWELL_BREAKER_WINDOW_CALLS: '30',
      WORKWELL_BREAKER_PROBES: '2',
      WORKWELL_DELIVERY_RETRY_WINDOW_HOURS: '48'
    }, CWD)
    expect(config.delivery).toStrictEqual({
      enabled: false,
      pollIntervalMs: 250,
      batchSize: 5,
      leaseMs: 30_000,
      requestTimeoutMs: 1500,
      concurrency: 8,
      connections: 3,
      connectTimeoutMs: 700,
      backoffBaseMs: 20,
      backoffCapMs: 9000,
      breakerFailures: 2,
      breakerOpenMs: 400,
      breakerFailureRatePercent: 80,
      breakerWindowCalls: 30,
      breakerProbes: 2,
      retryWindowHours: 48
    })
  })

  it('reads the usual spellings of true and false', () => {
    for (const yes of ['true', 'TRUE', '1', 'yes', 'On']) {
      expect(loadConfig({ WORKWELL_DELIVERY_ENABLED: yes }, CWD).delivery.enabled, yes).toBe(true)
    }
    for (const no of ['false', 'False', '0', 'no', 'OFF']) {
      expect(loadConfig({ WORKWELL_DELIVERY_ENABLED: no }, CWD).delivery.enabled, no).toBe(false)
    }
  })

  it('accepts the ends of each range', () => {
    expect(loadConfig({ PORT: '0' }, CWD).port).toBe(0)
    expect(loadConfig({ PORT: '65535' }, CWD).port).toBe(65535)
    expect(loadConfig({ WORKWELL_BODY_LIMIT: '1024' }, CWD).bodyLimitBytes).toBe(1024)
    expect(loadConfig({ WORKWELL_DELIVERY_BATCH: '1000' }, CWD).delivery.batchSize).toBe(1000)
  })
})

describe('loadConfig base URL', () => {
  it('defaults to http://HOST:PORT/fhir', () => {
    expect(loadConfig({ HOST: '10.0.0.5', PORT: '3000' }, CWD).baseUrl).toBe('http://10.0.0.5:3000/fhir')
    expect(loadConfig({ HOST: 'gateway.local' }, CWD).baseUrl).toBe('http://gateway.local:8080/fhir')
  })

  it('brackets an IPv6 host', () => {
    expect(loadConfig({ HOST: '::1', PORT: '8443' }, CWD).baseUrl).toBe('http://[::1]:8443/fhir')
  })

  it('uses WORKWELL_BASE_URL when set, without a trailing slash', () => {
    expect(loadConfig({ WORKWELL_BASE_URL: 'https://workwell.example/fhir/' }, CWD).baseUrl).toBe('https://workwell.example/fhir')
    expect(loadConfig({ WORKWELL_BASE_URL: 'https://workwell.example/r4', HOST: '0.0.0.0' }, CWD).baseUrl).toBe('https://workwell.example/r4')
  })
})

describe('loadConfig partner URL overrides', () => {
  it('keys each override by the kebab-case partnership id', () => {
    const config = loadConfig({
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: 'https://ncl.example/referrals',
      WORKWELL_PARTNER_URL_FRIMLEY: ' http://127.0.0.1:9999/in ',
      WORKWELL_PARTNER_URL_: 'https://ignored.example/',
      WORKWELL_PARTNER_URL_lower: 'https://ignored.example/',
      OTHER_PARTNER_URL_FRIMLEY: 'https://ignored.example/'
    }, CWD)
    expect(config.partnerUrls).toStrictEqual({
      'north-central-london': 'https://ncl.example/referrals',
      frimley: 'http://127.0.0.1:9999/in'
    })
  })
})

describe('loadConfig partner signing secrets', () => {
  it('keys each secret by partnership id and never echoes a short one', () => {
    const secret = 'x'.repeat(32)
    expect(loadConfig({ WORKWELL_PARTNER_SECRET_GREATER_MANCHESTER: secret }, CWD).partnerSecrets)
      .toStrictEqual({ 'greater-manchester': secret })
    const err = configError({ WORKWELL_PARTNER_SECRET_FRIMLEY: 'short-secret-value' })
    expect(err.variable).toBe('WORKWELL_PARTNER_SECRET_FRIMLEY')
    expect(err.message).toMatch(/at least 32 characters/)
    expect(err.message).not.toContain('short-secret-value')
  })
})

describe('loadConfig duplicate links', () => {
  it('takes the window and the key, and never echoes a short key', () => {
    const key = 'k'.repeat(32)
    expect(loadConfig({ WORKWELL_DUPLICATE_KEY: key, WORKWELL_DUPLICATE_WINDOW_DAYS: '14' }, CWD).duplicates).toStrictEqual({ key, windowDays: 14 })
    const err = configError({ WORKWELL_DUPLICATE_KEY: 'short-duplicate-key' })
    expect(err.variable).toBe('WORKWELL_DUPLICATE_KEY')
    expect(err.message).toMatch(/at least 32 characters/)
    expect(err.message).not.toContain('short-duplicate-key')
    expect(configError({ WORKWELL_DUPLICATE_WINDOW_DAYS: '0' }).variable).toBe('WORKWELL_DUPLICATE_WINDOW_DAYS')
  })

  it('refuses to start in production without its own key (the built-in one is public), and takes one there', () => {
    for (const nodeEnv of ['production', 'prod', 'staging']) {
      const err = configError({ NODE_ENV: nodeEnv, WORKWELL_AUTH_ISSUERS: 'urn:a=/a.json' })
      expect(err.variable).toBe('WORKWELL_DUPLICATE_KEY')
      expect(err.message).toMatch(/required in production/)
    }
    const key = 'p'.repeat(40)
    expect(loadConfig({ NODE_ENV: 'production', WORKWELL_AUTH_ISSUERS: 'urn:a=/a.json', WORKWELL_DUPLICATE_KEY: key }, CWD).duplicates.key).toBe(key)
    expect(loadConfig({ NODE_ENV: 'test' }, CWD).duplicates.key).toBe(DEFAULT_DUPLICATE_KEY)
  })
})

describe('loadConfig refuses bad values and names the variable', () => {
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ PORT: 'abc' }, 'PORT', /whole number.*"abc"/],
    [{ PORT: '70000' }, 'PORT', /0 to 65535.*70000/],
    [{ PORT: '-1' }, 'PORT', /whole number/],
    [{ PORT: '80.5' }, 'PORT', /whole number/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of fatal, error, warn, info, debug, trace, silent.*"loud"/],
    [{ WORKWELL_DELIVERY_ENABLED: 'maybe' }, 'WORKWELL_DELIVERY_ENABLED', /true or false.*"maybe"/],
    [{ WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: 'ftp://x' }, 'WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON', /http\(s\) URL.*"ftp:\/\/x"/],
    [{ WORKWELL_PARTNER_URL_FRIMLEY: 'not a url' }, 'WORKWELL_PARTNER_URL_FRIMLEY', /absolute http\(s\) URL/],
    [{ WORKWELL_BASE_URL: '/fhir' }, 'WORKWELL_BASE_URL', /absolute http\(s\) URL/],
    [{ WORKWELL_BASE_URL: 'file:///fhir' }, 'WORKWELL_BASE_URL', /http\(s\) URL/],
    [{ WORKWELL_BODY_LIMIT: '1023' }, 'WORKWELL_BODY_LIMIT', /1024 to 67108864/],
    [{ WORKWELL_DELIVERY_POLL_MS: '9' }, 'WORKWELL_DELIVERY_POLL_MS', /10 to 3600000/],
    [{ WORKWELL_DELIVERY_BATCH: '0' }, 'WORKWELL_DELIVERY_BATCH', /1 to 1000/],
    [{ WORKWELL_DELIVERY_LEASE_MS: '999' }, 'WORKWELL_DELIVERY_LEASE_MS', /1000 to 3600000/],
    [{ WORKWELL_DELIVERY_TIMEOUT_MS: '600001' }, 'WORKWELL_DELIVERY_TIMEOUT_MS', /100 to 600000/],
    [{ WORKWELL_REQUEST_ID_STALE_MS: '86400001' }, 'WORKWELL_REQUEST_ID_STALE_MS', /1000 to 86400000/],
    [{ WORKWELL_SHUTDOWN_TIMEOUT_MS: 'soon' }, 'WORKWELL_SHUTDOWN_TIMEOUT_MS', /whole number/],
    [{ WORKWELL_DELIVERY_CONCURRENCY: '0' }, 'WORKWELL_DELIVERY_CONCURRENCY', /1 to 10000/],
    [{ WORKWELL_BREAKER_FAILURES: 'many' }, 'WORKWELL_BREAKER_FAILURES', /whole number/],
    [{ DATABASE_URL: 'mysql://db/x' }, 'DATABASE_URL', /postgres:\/\/ URL, got a mysql: URL/],
    [{ DATABASE_URL: 'postgres with a password' }, 'DATABASE_URL', /^DATABASE_URL: expected a postgres:\/\/ URL$/],
    [{ WORKWELL_DATABASE_POOL: '0' }, 'WORKWELL_DATABASE_POOL', /1 to 1000/]
  ]
  for (const [env, variable, detail] of cases) {
    it(`${variable}=${Object.values(env)[0] ?? ''}`, () => {
      const err = configError(env)
      expect(err.variable).toBe(variable)
      expect(err.name).toBe('ConfigError')
      expect(err.message.startsWith(`${variable}: `)).toBe(true)
      expect(err.message).toMatch(detail)
    })
  }
})
