/**
 * Where the intake time goes, by stage, in µs per referral: the gateway (or the durable floor)
 * under the intake bench's load with V8's CPU profiler on, then its main thread's samples taken
 * while the measured load ran, each sample given to one stage by the frames on its stack.
 *
 *   node bench/profile-intake.ts [--target gateway|floor] [--seconds 8] [--functions]
 *
 * Each stage's share of the main thread's samples is scaled to the main thread's CPU time per
 * referral from /proc; every thread's CPU per referral is printed too (main is the event loop,
 * WorkerThread the SQLite writer and checkpointer, V8Worker the garbage collector's helpers).
 * The profiler costs CPU of its own: compare stages with each other and before/after on the
 * same machine, not with `npm run bench` figures.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { benchToken, gatewayEnv, gatewayStart, runLoad, start, type MeasureContext } from './intake.ts'

interface CallFrame { functionName: string, url: string }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
interface CpuProfile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }

/**
 * Stages, most specific first: a sample goes to the deepest frame on its stack that matches a
 * specific stage, else to the first generic stage any frame matches, else "other".
 */
const SPECIFIC: ReadonlyArray<[string, (f: CallFrame) => boolean]> = [
  ['validation (src/validation)', (f) => f.url.includes('/src/validation/')],
  ['JSON parse and shape check', (f) => /\/src\/fhir\/(parse-json|json-limits)\.ts$/.test(f.url) || (f.functionName === 'parse' && f.url === '')],
  ['routing, triage, Task built', (f) => /\/src\/(triage|routing)\//.test(f.url) || f.url.includes('/src/referral/') || f.url.endsWith('/src/england-date.ts')],
  ['hand-off to the writer (rows, postMessage)', (f) => f.url.includes('/src/store/') || f.functionName === 'postMessage'],
  ['stamping, row JSON, audit records', (f) => /\/src\/(intake\/accept-referral|audit\/audit-record|time-ordered-id|reference\/referral-reference)\.ts$/.test(f.url)],
  ['auth (token, roles)', (f) => f.url.includes('/src/auth/') && !f.url.endsWith('security-headers.ts')],
  ['security headers', (f) => f.url.endsWith('/src/auth/security-headers.ts')],
  ['rate limit', (f) => f.url.includes('@fastify/rate-limit')],
  ['under-pressure', (f) => f.url.includes('@fastify/under-pressure')],
  ['metrics', (f) => f.url.includes('/src/metrics/') || f.url.includes('prom-client') || f.url.endsWith('/src/routes/metrics.ts')],
  ['logging', (f) => f.url.endsWith('/src/request-log.ts') || f.url.includes('/pino/') || f.url.includes('sonic-boom') || f.url.includes('fast-redact')],
  ['the floor\'s handler (parse, stamp, row JSON)', (f) => f.url.endsWith('/bench/durable-floor-server.ts')],
  ['answer (headers, serialise)', (f) => /\/src\/fhir\/(reply|prefer|media-type)\.ts$/.test(f.url) || f.url.endsWith('/src/routes/referrals.ts') || f.url.includes('fast-json-stringify')]
]
const GENERIC: ReadonlyArray<[string, (f: CallFrame) => boolean]> = [
  ['HTTP and Fastify (parser, routing, hooks, socket)', (f) => f.url.includes('/fastify/') || f.url.includes('find-my-way') || f.url.includes('avvio') || /^node:(_http|net|internal\/(http|stream|streams|net))/.test(f.url) || f.functionName === 'writeUtf8String' || f.functionName === 'writev' || f.functionName === 'writeBuffer'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['promises, ticks, timers', (f) => /^node:internal\/(process\/task_queues|timers)/.test(f.url) || f.functionName === '(program)']
]

/** µs per request of each stage of a main-thread profile, between two monotonic instants (µs). */
export function stagesOf (profile: CpuProfile, fromUs: number, toUs: number, requests: number): { stages: Array<[string, number]>, functions: Array<[string, number]> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const stageOfNode = new Map<number, string>()
  const stageOf = (id: number): string => {
    const known = stageOfNode.get(id)
    if (known !== undefined) return known
    const frames: CallFrame[] = []
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at)
      if (node !== undefined) frames.push(node.callFrame)
    }
    let stage: string | undefined
    for (const f of frames) {
      stage = SPECIFIC.find(([, match]) => match(f))?.[0]
      if (stage !== undefined) break
    }
    stage ??= GENERIC.find(([, match]) => frames.some(match))?.[0] ?? (frames[0]?.functionName === '(idle)' ? 'idle' : 'other')
    stageOfNode.set(id, stage)
    return stage
  }
  const totals = new Map<string, number>()
  const functions = new Map<string, number>()
  let t = profile.startTime
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0
    if (t < fromUs || t > toUs) return
    const stage = stageOf(id)
    const us = profile.timeDeltas[i + 1] ?? 0
    totals.set(stage, (totals.get(stage) ?? 0) + us)
    const f = byId.get(id)?.callFrame
    const name = `${f?.functionName ?? ''} ${(f?.url ?? '').replace(/^.*\/(node_modules|src)\//, '$1/')}`
    if (stage !== 'idle') functions.set(name, (functions.get(name) ?? 0) + us)
  })
  const perRequest = (m: Map<string, number>): Array<[string, number]> => [...m].filter(([s]) => s !== 'idle').map(([s, us]): [string, number] => [s, Math.round(us / Math.max(1, requests))]).sort((a, b) => b[1] - a[1])
  return { stages: perRequest(totals), functions: perRequest(functions).slice(0, 30) }
}

/** utime + stime (clock ticks, 1/100 s) of each thread of a process, with the thread's name (proc(5)). */
function threadTicks (pid: number | undefined): Map<string, [string, number]> {
  const out = new Map<string, [string, number]>()
  if (pid === undefined) return out
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const after = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')
      out.set(tid, [tid === String(pid) ? 'main' : name, Number(after[11]) + Number(after[12])])
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out
}

async function main (args: string[]): Promise<void> {
  const target = args.includes('--target') ? args[args.indexOf('--target') + 1] : 'gateway'
  const seconds = args.includes('--seconds') ? Number(args[args.indexOf('--seconds') + 1]) : 8
  const repo = path.resolve(import.meta.dirname, '..')
  const work = mkdtempSync(path.join(tmpdir(), 'workwell-profile-'))
  const dataDir = path.join(work, 'data')
  const profDir = path.join(work, 'prof')
  try {
    const folder = path.join(repo, 'fixtures/referrals')
    const bodiesFile = path.join(work, 'bodies.json')
    writeFileSync(bodiesFile, JSON.stringify(readdirSync(folder).sort().map((p) => readFileSync(path.join(folder, p, 'gp-referral.json'), 'utf8'))))
    const nodeOptions = `--cpu-prof --cpu-prof-dir=${profDir} ${process.env.INTAKE_NODE_OPTIONS ?? ''}`.trim()
    const server = target === 'floor'
      ? await start([process.execPath, path.join(repo, 'bench/durable-floor-server.ts')], { WORKWELL_DATA_DIR: dataDir, FLOOR_BODIES: bodiesFile, NODE_OPTIONS: nodeOptions })
      : await start(gatewayStart().command, { ...gatewayEnv(dataDir), NODE_OPTIONS: nodeOptions, ...(process.env.PROFILE_DATABASE_URL === undefined ? {} : { DATABASE_URL: process.env.PROFILE_DATABASE_URL }) })
    const ctx: MeasureContext = { work, bodiesFile, seconds, databaseUrl: '', dataRoot: work }
    let from = 0
    let to = 0
    let answered = 0
    let mainCpuUs = 0
    try {
      const token = await benchToken(dataDir, bodiesFile)
      await runLoad(server.origin, ctx, 2, token)
      const threads0 = threadTicks(server.child.pid)
      from = Number(process.hrtime.bigint() / 1000n)
      const load = await runLoad(server.origin, ctx, seconds, token)
      to = Number(process.hrtime.bigint() / 1000n)
      const threads1 = threadTicks(server.child.pid)
      answered = load.ok + load.non2xx
      process.stdout.write(`${target}: ${answered} answers in ${seconds} s (${Math.round(load.rps)} req/s), non-2xx ${load.non2xx}\n`)
      // CPU per referral of each thread (by its name; main is the event loop), profiler on
      const perThread = new Map<string, number>()
      for (const [tid, [name, ticks]] of threads1) perThread.set(name, (perThread.get(name) ?? 0) + ticks - (threads0.get(tid)?.[1] ?? 0))
      // the profiler's own thread is left out: it is not the gateway's work
      perThread.delete('v8:ProfEvntProc')
      mainCpuUs = Math.round((perThread.get('main') ?? 0) * 10_000 / Math.max(1, answered))
      process.stdout.write(`  threads, µs per referral: ${[...perThread].sort((a, b) => b[1] - a[1]).map(([name, ticks]) => `${name} ${Math.round(ticks * 10_000 / Math.max(1, answered))}`).join(', ')}\n`)
    } finally {
      await server.stop()
    }
    // the main thread's profile is the first one written (worker threads get later sequence numbers)
    const main = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).sort((a, b) => Number(a.split('.').at(-2)) - Number(b.split('.').at(-2)))[0]
    if (main === undefined) throw new Error('no profile written')
    // PROFILE_KEEP=file.cpuprofile keeps the main thread's profile (for DevTools or a closer look)
    if (process.env.PROFILE_KEEP !== undefined) copyFileSync(path.join(profDir, main), process.env.PROFILE_KEEP)
    if (process.env.PROFILE_KEEP_ALL !== undefined) for (const f of readdirSync(profDir)) copyFileSync(path.join(profDir, f), path.join(process.env.PROFILE_KEEP_ALL, f))
    const { stages, functions } = stagesOf(JSON.parse(readFileSync(path.join(profDir, main), 'utf8')) as CpuProfile, from, to, answered)
    // the profile's intervals are wall time (on a busy machine a descheduled thread still
    // collects samples), so its shares are scaled to the main thread's CPU time from /proc
    const sampled = stages.reduce((n, [, us]) => n + us, 0)
    const scale = mainCpuUs / Math.max(1, sampled)
    for (const [stage, us] of stages) process.stdout.write(`  ${String(Math.round(us * scale)).padStart(5)} µs  ${String(Math.round(100 * us / Math.max(1, sampled))).padStart(3)} %  ${stage}\n`)
    process.stdout.write(`  ${String(mainCpuUs).padStart(5)} µs  main thread CPU per referral (profiler on)\n`)
    if (args.includes('--functions')) {
      process.stdout.write('self time by function, µs of main-thread CPU per referral:\n')
      for (const [name, us] of functions) process.stdout.write(`  ${String(Math.round(us * scale)).padStart(5)} µs  ${name}\n`)
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`profile failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
    process.exit(1)
  })
}
