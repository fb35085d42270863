/**
 * Intake benchmark: the gateway against a bare Fastify server answering the same payloads,
 * on the same machine in the same run (compare ratios: absolute req/s vary by machine).
 *
 *   node bench/run.ts --only intake [--quick] [--soak] [--json]
 *
 * autocannon (its own process, 100 connections) POSTs the real GP referrals of
 * fixtures/referrals (one per partnership, in turn) to:
 *   - bare:     Fastify that parses the JSON and echoes it with an id, 201 (the ceiling);
 *   - sqlite:   `npm start`'s command on SQLite (WAL, synchronous=FULL: every 201 is fsynced),
 *               group commit on the writer thread (the default);
 *   - sqlite-main: the same with the writes on the event loop (WORKWELL_SQLITE_WRITER_THREAD=false);
 *   - postgres: the same on PostgreSQL (DATABASE_URL; skipped when the server is not up).
 * Each server is fresh; a warm-up is discarded; rounds alternate the order. Ratios are
 * taken within a round and the median is reported. Also measured: start-to-ready (spawn
 * until /health/ready answers 200), RSS under load and its slope, and, after each SQLite
 * run, that the database holds a Task for every 2xx answer. `--soak` adds a 5-minute
 * run on SQLite for the RSS slope. INTAKE_VARIANTS=sqlite|postgres narrows a run and
 * INTAKE_LOG_LEVEL sets the gateway's log level (default info, as in production);
 * INTAKE_NODE_OPTIONS is passed to the gateways as NODE_OPTIONS.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import pg from 'pg'
import { DEV_ISSUER, ensureDevSigningKey, mintToken } from '../src/auth/dev-keys.ts'
import { FRESH_PATIENT_SOURCE, TEMPLATE_HEADER } from './fresh-patients.ts'
import { OPEN_LOOP_SOURCE, summariseOpenLoop, type OpenLoopRaw } from './open-loop.ts'

/** One measured figure, as printed with `--json`. */
export interface IntakeRow {
  name: string
  value: number
  unit: string
  /** the figure this one is compared with, or null */
  baseline: number | null
  /** what the baseline is (default: bare Fastify) */
  baselineOf?: string
  /** value / baseline, or null */
  ratio: number | null
  /** what "good" means here, and whether this run met it */
  goal?: string
  met?: boolean
}

/** Options of {@link runIntakeBench}. */
export interface IntakeBenchOptions {
  json: boolean
  quick: boolean
  /** adds a 5-minute SQLite run for the RSS slope */
  soak: boolean
  /** folder for the SQLite files (default: the OS temp folder, a normal disk here) */
  dataRoot?: string
  /** PostgreSQL server to use (default: the local test database) */
  databaseUrl?: string
  print: (line: string) => void
}

const REPO = path.resolve(import.meta.dirname, '..')
const CONNECTIONS = 100
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'

/** The bare server: Fastify's own JSON parsing, and the body echoed back with an id. */
const BARE_SOURCE = `
const Fastify = require('fastify')
const { randomUUID } = require('node:crypto')
const app = Fastify({ logger: false, bodyLimit: 1048576 })
app.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, (req, body, done) => {
  try { done(null, JSON.parse(body)) } catch (err) { done(err) }
})
app.post('/fhir/ServiceRequest', async (request, reply) => {
  reply.code(201).header('content-type', 'application/fhir+json')
  return { ...request.body, id: randomUUID(), meta: { versionId: '1', lastUpdated: new Date().toISOString() } }
})
app.get('/health/ready', async () => ({ status: 'ready' }))
app.listen({ host: '127.0.0.1', port: 0 }).then((address) => { console.log('listening on ' + address) })
process.on('SIGTERM', () => { app.close().then(() => process.exit(0)) })
`

/** autocannon in its own process: the bodies in turn, JSON result on stdout. */
const LOAD_SOURCE = `
const autocannon = require('autocannon')
${FRESH_PATIENT_SOURCE}
const { readFileSync } = require('node:fs')
const cfg = JSON.parse(readFileSync(process.argv[1], 'utf8'))
let n = 0
autocannon({
  url: cfg.url,
  connections: cfg.connections,
  duration: cfg.duration,
  requests: [{
    method: 'POST',
    path: '/fhir/ServiceRequest',
    setupRequest: (req) => {
      const { body, template } = freshBody(cfg.bodies, n++)
      return { ...req, headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', authorization: 'Bearer ' + cfg.token, '${TEMPLATE_HEADER}': String(template) }, body }
    }
  }]
}, (err, result) => {
  if (err) { console.error(err); process.exit(1) }
  console.log(JSON.stringify({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, ok: result['2xx'], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts }))
})
`

interface Load {
  rps: number,
  p50: number,
  p99: number,
  ok: number,
  non2xx: number,
  errors: number,
  timeouts: number
  /** open loop only */ p999?: number
  /** open loop only: 2xx answers to the generator's unrecorded warm-up requests (they are stored too) */ warmOk?: number
}

interface Running {
  child: ChildProcess
  origin: string
  readyMs: number
  stop: () => Promise<void>
}

type Variant = 'bare' | 'floor' | 'sqlite' | 'sqlite-main' | 'postgres'

interface Measured {
  load: Load
  readyMs: number
  rss: { maxMb: number, slopeMbPerMin: number }
  /** server CPU (all its threads) per answered request, from /proc */
  cpuUsPerRequest: number
  /** how busy both cores were during the measured load, % (autocannon and PostgreSQL included) */
  machineBusyPct: number
}

/**
 * Runs the intake benchmark and prints its figures.
 * @param options - sizes, output format and where data goes
 */
export async function runIntakeBench (options: IntakeBenchOptions): Promise<IntakeRow[]> {
  const work = mkdtempSync(path.join(tmpdir(), 'workwell-intake-bench-'))
  const bodiesFile = path.join(work, 'bodies.json')
  const folder = path.join(REPO, 'fixtures/referrals')
  const bodies = readdirSync(folder).sort().map((p) => readFileSync(path.join(folder, p, 'gp-referral.json'), 'utf8'))
  writeFileSync(bodiesFile, JSON.stringify(bodies))
  const databaseUrl = options.databaseUrl ?? DEFAULT_DATABASE_URL
  const pgReason = await pgUnavailable(databaseUrl)
  // INTAKE_VARIANTS=sqlite (say) narrows a run while measuring one lever; bare always runs
  const asked = (process.env.INTAKE_VARIANTS ?? 'floor,sqlite,sqlite-main,postgres').split(',')
  const variants: Variant[] = ['bare', ...(['floor', 'sqlite', 'sqlite-main', 'postgres'] as const).filter((v) => asked.includes(v) && (v !== 'postgres' || pgReason === undefined))]
  const rounds = options.quick ? 1 : 3
  const seconds = options.quick ? 5 : 10
  const log = (line: string): void => { if (!options.json) options.print(line) }
  log(`intake: ${bodies.length} GP referrals (${Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length)} B average), ${CONNECTIONS} connections, ${seconds} s per run after a 2 s warm-up, ${rounds} round(s)`)
  if (pgReason !== undefined) log(`intake: PostgreSQL skipped: ${pgReason}`)

  const perRound: Array<Partial<Record<Variant, Measured>>> = []
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse()
      const results: Partial<Record<Variant, Measured>> = {}
      for (const variant of order) {
        results[variant] = await measure(variant, { work, bodiesFile, seconds, databaseUrl, dataRoot: options.dataRoot ?? tmpdir() })
        const m = results[variant]
        log(`  round ${round + 1} ${variant}: ${Math.round(m.load.rps)} req/s, p50 ${m.load.p50} ms, p99 ${m.load.p99} ms, ready in ${m.readyMs} ms, RSS max ${m.rss.maxMb} MB, ${m.cpuUsPerRequest} µs server CPU per request, machine ${m.machineBusyPct}% busy` +
          (m.load.non2xx + m.load.errors + m.load.timeouts > 0 ? `, non-2xx ${m.load.non2xx}, errors ${m.load.errors}, timeouts ${m.load.timeouts}` : ''))
      }
      perRound.push(results)
    }

    const rows: IntakeRow[] = []
    const bare = median(perRound.map((r) => r.bare?.load.rps ?? 0))
    for (const variant of variants.filter((v) => v !== 'bare')) {
      const rps = median(perRound.map((r) => r[variant]?.load.rps ?? 0))
      const ratio = median(perRound.map((r) => (r[variant]?.load.rps ?? 0) / (r.bare?.load.rps ?? 1)))
      const p99 = median(perRound.map((r) => r[variant]?.load.p99 ?? 0))
      const cpu = median(perRound.map((r) => r[variant]?.cpuUsPerRequest ?? 0))
      const bareCpu = median(perRound.map((r) => r.bare?.cpuUsPerRequest ?? 0))
      const busy = median(perRound.map((r) => r[variant]?.machineBusyPct ?? 0))
      // CPU per request is compared within each round (the machine is shared: a slow round is slow for both)
      const cpuRatio = (of: Variant): number => median(perRound.map((r) => (r[variant]?.cpuUsPerRequest ?? 0) / Math.max(1, r[of]?.cpuUsPerRequest ?? 0)))
      if (variant === 'floor') {
        // the ceiling the gateway is measured against: bare + the same durable writes
        rows.push({ name: 'intake-floor', value: round(rps), unit: 'req/s', baseline: round(bare), ratio: round(ratio, 3) })
        const toBare = cpuRatio('bare')
        rows.push({ name: 'cpu-per-request-floor', value: cpu, unit: 'µs', baseline: bareCpu, ratio: round(toBare, 2), goal: 'ratio <= 3', met: toBare <= 3 })
        continue
      }
      const goal = variant === 'postgres' ? 0.3 : 0.5
      rows.push({ name: `intake-${variant}`, value: round(rps), unit: 'req/s', baseline: round(bare), ratio: round(ratio, 3), goal: `ratio >= ${goal}`, met: ratio >= goal })
      if (variants.includes('floor')) {
        // PostgreSQL: the gateway process only; its server's CPU is not in the figure
        const toFloor = cpuRatio('floor')
        rows.push({ name: `cpu-per-request-${variant}`, value: cpu, unit: 'µs', baseline: median(perRound.map((r) => r.floor?.cpuUsPerRequest ?? 0)), baselineOf: 'durable floor', ratio: round(toFloor, 2), goal: 'ratio <= 1.5', met: toFloor <= 1.5 })
      } else {
        rows.push({ name: `cpu-per-request-${variant}`, value: cpu, unit: 'µs', baseline: bareCpu, ratio: null })
      }
      rows.push({ name: `machine-busy-${variant}`, value: busy, unit: '%', baseline: median(perRound.map((r) => r.bare?.machineBusyPct ?? 0)), ratio: null })
      rows.push({
        name: `intake-${variant}-p99`,
        value: p99,
        unit: 'ms',
        baseline: median(perRound.map((r) => r.bare?.load.p99 ?? 0)),
        ratio: null,
        ...(variant === 'postgres' ? {} : { goal: '<= 50 ms', met: p99 <= 50 })
      })
      const ready = median(perRound.map((r) => r[variant]?.readyMs ?? 0))
      rows.push({ name: `start-to-ready-${variant}`, value: ready, unit: 'ms', baseline: median(perRound.map((r) => r.bare?.readyMs ?? 0)), ratio: null, goal: '< 1000 ms', met: ready < 1000 })
      const rss = Math.max(...perRound.map((r) => r[variant]?.rss.maxMb ?? 0))
      rows.push({ name: `rss-under-load-${variant}`, value: rss, unit: 'MB', baseline: Math.max(...perRound.map((r) => r.bare?.rss.maxMb ?? 0)), ratio: null, goal: `<= ${RSS_GOAL_MB} MB`, met: rss <= RSS_GOAL_MB })
    }
    if (variants.includes('sqlite')) rows.push(...await openLoop({ work, bodiesFile, seconds, databaseUrl, dataRoot: options.dataRoot ?? tmpdir() }, rounds, variants.includes('floor'), log))
    if (options.soak) {
      log('intake: soak, 5 minutes on SQLite')
      const soak = await measure('sqlite', { work, bodiesFile, seconds: 300, databaseUrl, dataRoot: options.dataRoot ?? tmpdir() })
      rows.push({ name: 'soak-sqlite-rss-slope', value: soak.rss.slopeMbPerMin, unit: 'MB/min', baseline: null, ratio: null, goal: 'flat (|slope| < 1 MB/min)', met: Math.abs(soak.rss.slopeMbPerMin) < 1 })
      rows.push({ name: 'soak-sqlite-rss-max', value: soak.rss.maxMb, unit: 'MB', baseline: null, ratio: null, goal: `<= ${RSS_GOAL_MB} MB`, met: soak.rss.maxMb <= RSS_GOAL_MB })
      rows.push({ name: 'soak-sqlite', value: round(soak.load.rps), unit: 'req/s', baseline: null, ratio: null })
    }
    for (const row of rows) options.print(options.json ? JSON.stringify(row) : format(row))
    return rows
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** A container-sized footprint: the gateway fits a 256 MB memory limit under load. */
const RSS_GOAL_MB = 256
/** The open-loop rate (referrals/s): well under saturation, a busy day's peak with room to spare. */
const OPEN_LOOP_RATE = Number(process.env.INTAKE_OPEN_LOOP_RATE ?? 500)
/** seconds each open-loop generator sends on schedule before it records (bench/open-loop.ts) */
const OPEN_LOOP_WARM_S = 1

/**
 * Latency a GP never waits for: SQLite and bare at the same steady rate (bench/open-loop.ts),
 * fresh servers, rounds in alternating order, medians of the rounds' percentiles.
 */
async function openLoop (ctx: MeasureContext, rounds: number, withFloor: boolean, log: (line: string) => void): Promise<IntakeRow[]> {
  const open = { ...ctx, openLoopRate: OPEN_LOOP_RATE }
  type OpenVariant = 'bare' | 'floor' | 'sqlite'
  // the durable floor at the same rate says how much of the gateway's tail its writes alone make
  const variants: OpenVariant[] = withFloor ? ['bare', 'floor', 'sqlite'] : ['bare', 'sqlite']
  const results: Array<Partial<Record<OpenVariant, Measured>> & Record<'bare' | 'sqlite', Measured>> = []
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse()
    const r: Partial<Record<OpenVariant, Measured>> = {}
    for (const v of order) {
      const m = await measure(v, open)
      r[v] = m
      log(`  open loop round ${round + 1} ${v} at ${OPEN_LOOP_RATE}/s: ${m.load.rps} answers/s, p50 ${m.load.p50} ms, p99 ${m.load.p99} ms, p99.9 ${m.load.p999 ?? 0} ms, ${m.cpuUsPerRequest} µs server CPU per request, RSS max ${m.rss.maxMb} MB` +
        (m.load.non2xx + m.load.errors > 0 ? `, non-2xx ${m.load.non2xx}, errors ${m.load.errors}` : ''))
    }
    if (r.bare !== undefined && r.sqlite !== undefined) results.push({ ...r, bare: r.bare, sqlite: r.sqlite })
  }
  const at = (v: OpenVariant, pick: (l: Load) => number): number => median(results.flatMap((r) => { const m = r[v]; return m === undefined ? [] : [pick(m.load)] }))
  const p99 = at('sqlite', (l) => l.p99)
  const p999 = at('sqlite', (l) => l.p999 ?? 0)
  const baselineOf = `bare at ${OPEN_LOOP_RATE}/s`
  // a server that cannot keep up with the schedule queues without bound: its percentiles then
  // measure the backlog, not the service, and this row says so
  const kept = at('sqlite', (l) => l.rps)
  return [
    { name: 'intake-sqlite-open-loop-rate', value: kept, unit: 'answers/s', baseline: at('bare', (l) => l.rps), baselineOf, ratio: null, goal: `>= ${Math.round(0.95 * OPEN_LOOP_RATE)}/s (kept up with the schedule)`, met: kept >= 0.95 * OPEN_LOOP_RATE },
    { name: 'intake-sqlite-open-loop-p99', value: p99, unit: 'ms', baseline: at('bare', (l) => l.p99), baselineOf, ratio: null, goal: '<= 15 ms', met: p99 <= 15 },
    { name: 'intake-sqlite-open-loop-p999', value: p999, unit: 'ms', baseline: at('bare', (l) => l.p999 ?? 0), baselineOf, ratio: null, goal: '<= 40 ms', met: p999 <= 40 },
    ...(withFloor
      ? [
          { name: 'intake-floor-open-loop-p99', value: at('floor', (l) => l.p99), unit: 'ms', baseline: at('bare', (l) => l.p99), baselineOf, ratio: null },
          { name: 'intake-floor-open-loop-p999', value: at('floor', (l) => l.p999 ?? 0), unit: 'ms', baseline: at('bare', (l) => l.p999 ?? 0), baselineOf, ratio: null }
        ]
      : [])
  ]
}

function format (row: IntakeRow): string {
  const base = row.baseline === null ? '' : ` (${row.baselineOf ?? 'bare'} ${row.baseline} ${row.unit}${row.ratio === null ? '' : `, ratio ${row.ratio}`})`
  const goal = row.goal === undefined ? '' : `; goal ${row.goal}: ${row.met === true ? 'met' : 'NOT met'}`
  return `${row.name}: ${row.value} ${row.unit}${base}${goal}`
}

export interface MeasureContext {
  work: string
  bodiesFile: string
  seconds: number
  databaseUrl: string
  dataRoot: string
  /** requests per second on a fixed schedule (bench/open-loop.ts) instead of autocannon's closed loop */
  openLoopRate?: number
}

/** One fresh server of a variant: warm-up, measured load with RSS sampling, stop, check. */
async function measure (variant: Variant, ctx: MeasureContext): Promise<Measured> {
  const dataDir = mkdtempSync(path.join(ctx.dataRoot, 'workwell-intake-'))
  const schema = variant === 'postgres' ? `bench_${process.pid}_${Date.now()}` : undefined
  try {
    if (schema !== undefined) await adminQuery(ctx.databaseUrl, `CREATE SCHEMA ${schema}`)
    const server = variant === 'bare'
      ? await start([process.execPath, '-e', BARE_SOURCE], {})
      : variant === 'floor'
        ? await start([process.execPath, path.join(REPO, 'bench/durable-floor-server.ts')], { WORKWELL_DATA_DIR: dataDir, FLOOR_BODIES: ctx.bodiesFile })
        : await start(gatewayStart().command, {
          ...gatewayEnv(dataDir),
          // sqlite-main: the same store with its writes on the event loop (the writer-thread lever)
          ...(variant === 'sqlite-main' ? { WORKWELL_SQLITE_WRITER_THREAD: 'false' } : {}),
          ...(schema === undefined ? {} : { DATABASE_URL: withSchema(ctx.databaseUrl, schema) })
        })
    let load: Load
    let warm: Load
    let cpuUsPerRequest = 0
    let machineBusyPct = 0
    const samples: Array<[number, number]> = []
    try {
      const token = await benchToken(dataDir, ctx.bodiesFile)
      warm = await runLoad(server.origin, ctx, 2, token)
      const t0 = performance.now()
      const cpu0 = processCpuTicks(server.child.pid)
      const machine0 = machineTicks()
      const timer = setInterval(() => {
        const mb = rssMb(server.child.pid)
        if (mb !== undefined) samples.push([(performance.now() - t0) / 60_000, mb])
      }, ctx.seconds > 60 ? 5_000 : 250)
      try {
        load = await runLoad(server.origin, ctx, ctx.seconds, token)
      } finally {
        clearInterval(timer)
      }
      const machine1 = machineTicks()
      cpuUsPerRequest = Math.round((processCpuTicks(server.child.pid) - cpu0) * 1e6 / CLOCK_TICKS / Math.max(1, load.ok + load.non2xx))
      machineBusyPct = Math.round(100 * (1 - (machine1.idle - machine0.idle) / Math.max(1, machine1.total - machine0.total)))
    } finally {
      await server.stop()
    }
    if (variant !== 'bare') await checkStored(variant, dataDir, ctx.databaseUrl, schema, warm.ok + (warm.warmOk ?? 0) + load.ok + (load.warmOk ?? 0))
    return { load, readyMs: server.readyMs, rss: { maxMb: Math.max(0, ...samples.map(([, mb]) => mb)), slopeMbPerMin: round(slope(samples), 2) }, cpuUsPerRequest, machineBusyPct }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
    if (schema !== undefined) await adminQuery(ctx.databaseUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  }
}

/** The gateway's environment in the bench: SQLite in dataDir, no delivery, no per-client limit. */
export function gatewayEnv (dataDir: string): Record<string, string> {
  return {
    ...gatewayStart().env,
    WORKWELL_DATA_DIR: dataDir,
    WORKWELL_DELIVERY_ENABLED: 'false',
    // one client floods on purpose: the per-client limit would measure itself
    WORKWELL_RATE_LIMIT: '0',
    WORKWELL_AUTH_AUDIENCE: BENCH_AUDIENCE,
    // the production default; INTAKE_LOG_LEVEL=warn measures what request logging costs
    LOG_LEVEL: process.env.INTAKE_LOG_LEVEL ?? 'info',
    // e.g. INTAKE_NODE_OPTIONS='--max-old-space-size=128 --max-semi-space-size=4' (heap sizing vs RSS)
    ...(process.env.INTAKE_NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.INTAKE_NODE_OPTIONS })
  }
}

/** After a run: a Task for every 2xx answer, so no acknowledged referral was lost. */
async function checkStored (variant: Variant, dataDir: string, databaseUrl: string, schema: string | undefined, acknowledged: number): Promise<void> {
  let tasks: number
  if (variant !== 'postgres') {
    const db = new DatabaseSync(path.join(dataDir, 'workwell.sqlite'), { readOnly: true })
    try {
      tasks = Number(db.prepare('SELECT count(*) AS n FROM tasks').get()?.n)
    } finally {
      db.close()
    }
  } else {
    const rows = await adminQuery(databaseUrl, `SELECT count(*)::int AS n FROM ${String(schema)}.tasks`)
    tasks = Number(rows[0]?.n)
  }
  // a request still in flight when autocannon stops may be stored without its 201 being
  // counted: at most one per connection per load run (warm-up and measured)
  if (tasks < acknowledged || tasks > acknowledged + 2 * CONNECTIONS) {
    throw new Error(`${variant}: ${acknowledged} referrals acknowledged but ${tasks} Tasks stored`)
  }
}

const BENCH_AUDIENCE = 'workwell-bench'

/** A referrer token for the practices the bodies refer from, signed with the development key the server trusts (made in its data folder). */
export async function benchToken (dataDir: string, bodiesFile: string): Promise<string> {
  const bodies = JSON.parse(readFileSync(bodiesFile, 'utf8')) as string[]
  const ods = [...new Set(bodies.map((b) => (JSON.parse(b) as { requester?: { identifier?: { value?: string } } }).requester?.identifier?.value).filter((v): v is string => v !== undefined))]
  return mintToken(await ensureDevSigningKey(dataDir), { roles: ['referrer'], clientId: 'bench', ods, audience: BENCH_AUDIENCE, issuer: DEV_ISSUER, ttlSeconds: 3600, now: new Date() })
}

export async function runLoad (origin: string, ctx: MeasureContext, seconds: number, token = ''): Promise<Load> {
  const cfg = path.join(ctx.work, `load-${seconds}.json`)
  const open = ctx.openLoopRate
  writeFileSync(cfg, JSON.stringify({ url: origin, token, connections: CONNECTIONS, duration: seconds, seconds, rate: open, warmSeconds: OPEN_LOOP_WARM_S, bodies: JSON.parse(readFileSync(ctx.bodiesFile, 'utf8')) as string[] }))
  const child = spawn(process.execPath, ['-e', open === undefined ? LOAD_SOURCE : OPEN_LOOP_SOURCE, cfg], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8') })
  child.stderr.on('data', (d: Buffer) => { err += d.toString('utf8') })
  const code = await new Promise<number | null>((resolve) => { child.once('exit', resolve) })
  if (code !== 0) throw new Error(`load generator failed (${String(code)}): ${err.slice(-1000)}`)
  const last = out.trim().split('\n').pop() ?? '{}'
  if (open === undefined) return JSON.parse(last) as Load
  const r = summariseOpenLoop(JSON.parse(last) as OpenLoopRaw)
  return { rps: r.rps, p50: r.p50, p99: r.p99, p999: r.p999, ok: r.ok, non2xx: r.non2xx, errors: r.errors, timeouts: 0, warmOk: (JSON.parse(last) as OpenLoopRaw).warmOk ?? 0 }
}

/**
 * `npm start` as the bench runs it: this node with the start script's environment (glibc's
 * malloc arenas) and node flags (the young generation's size is one, docs/performance.md), so
 * the bench measures the gateway as it is started.
 */
export function gatewayStart (): { command: string[], env: Record<string, string> } {
  const scripts = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts
  const words = scripts.start.split(/\s+/)
  const env: Record<string, string> = {}
  for (let w = words[0]; w !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(w); w = words[0]) {
    const at = w.indexOf('=')
    env[w.slice(0, at)] = w.slice(at + 1)
    words.shift()
  }
  const entry = words.at(-1)
  if (words[0] !== 'node' || entry === undefined || !/^(bin|src)\/[\w.-]+\.[jt]s$/.test(entry)) throw new Error(`npm start is not "[NAME=value ...] node [flags] bin|src/<file>": ${scripts.start}`)
  return { command: [process.execPath, ...words.slice(1, -1), path.join(REPO, entry)], env }
}

/** Spawns a server and waits until /health/ready answers 200; readyMs counts from the spawn. */
export async function start (command: string[], env: Record<string, string>): Promise<Running> {
  const [exe, ...args] = command
  if (exe === undefined) throw new Error('no command')
  const t0 = performance.now()
  const child = spawn(exe, args, { cwd: REPO, env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  // the server's log is read (and dropped past the first lines) so its pipe never fills
  const onData = (d: Buffer): void => { if (out.length < 20_000) out += d.toString('utf8') }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
  let origin: string | undefined
  const deadline = Date.now() + 20_000
  const fail = (why: string): never => {
    child.kill('SIGKILL')
    throw new Error(`${why}: ${out.slice(-2000)}`)
  }
  while (origin === undefined) {
    if (Date.now() > deadline || child.exitCode !== null) fail('server did not start')
    origin = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]
    if (origin === undefined) await sleep(2)
  }
  while ((await fetch(`${origin}/health/ready`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline) fail('server never became ready')
    await sleep(2)
  }
  const readyMs = Math.round(performance.now() - t0)
  return {
    child,
    origin,
    readyMs,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    }
  }
}

/** USER_HZ: the unit of /proc CPU times (100 on Linux whatever the kernel's HZ) */
const CLOCK_TICKS = 100

/** utime + stime of a process, all threads, in clock ticks (proc(5) /proc/pid/stat fields 14, 15). */
function processCpuTicks (pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    // the command name (field 2) may hold spaces; the fields after it start past its ')'
    const after = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return Number(after[11]) + Number(after[12])
  } catch {
    return 0
  }
}

/** All cores' ticks and idle ticks (idle + iowait) from the first line of /proc/stat. */
function machineTicks (): { total: number, idle: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
  return { total: fields.reduce((a, b) => a + b, 0), idle: (fields[3] ?? 0) + (fields[4] ?? 0) }
}

function rssMb (pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024)
  } catch {
    return undefined
  }
}

/** Least-squares slope of (minutes, MB) samples, ignoring the first fifth (warm-up growth). */
function slope (samples: Array<[number, number]>): number {
  const s = samples.slice(Math.floor(samples.length / 5))
  if (s.length < 2) return 0
  const mx = s.reduce((a, [x]) => a + x, 0) / s.length
  const my = s.reduce((a, [, y]) => a + y, 0) / s.length
  const num = s.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0)
  const den = s.reduce((a, [x]) => a + (x - mx) ** 2, 0)
  return den === 0 ? 0 : num / den
}

async function pgUnavailable (url: string): Promise<string | undefined> {
  try {
    await adminQuery(url, 'SELECT 1')
    return undefined
  } catch (err) {
    return `${err instanceof Error ? err.message : String(err)}`
  }
}

async function adminQuery (url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  await client.connect()
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows
  } finally {
    await client.end()
  }
}

function withSchema (url: string, schema: string): string {
  const u = new URL(url)
  u.searchParams.set('options', `-c search_path=${schema}`)
  return u.toString()
}

function median (values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] ?? 0 : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

function round (n: number, digits = 0): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
