import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asOperator, asReferrer } from '../helpers/tokens.ts'
import { postReferral, referralIn, startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

/**
 * The operator's side, as separate processes: the gateway only takes referrals
 * (WORKWELL_DELIVERY_ENABLED=false), `workwell worker` alone delivers them from the same data
 * folder, and `workwell deliveries` / `workwell replay` show and replay dead letters.
 */
const CLI = path.join(REPO, 'bin/workwell.js')

let partner: StubPartner
let gw: TestGateway
let worker: ChildProcess | undefined
let workerOutput = ''
/** ServiceRequest ids the partner answers 400 for, until the "fix" */
const rejected = new Set<string>()

function cliEnv (): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    LOG_LEVEL: 'info',
    WORKWELL_DATA_DIR: gw.dataDir,
    WORKWELL_DELIVERY_POLL_MS: '20',
    WORKWELL_DELIVERY_TIMEOUT_MS: '5000',
    WORKWELL_DELIVERY_LEASE_MS: '10000',
    WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london'),
    WORKWELL_PARTNER_URL_SURREY_HEARTLANDS: partner.url('surrey-heartlands')
  }
}

/** Runs one CLI command to the end. */
async function cli (args: string[]): Promise<{ code: number | null, out: string, err: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8') })
  child.stderr.on('data', (d: Buffer) => { err += d.toString('utf8') })
  const code = await new Promise<number | null>((resolve) => { child.on('exit', (c) => { resolve(c) }) })
  return { code, out, err }
}

/** `workwell deliveries ...` as rows of tab-separated fields, circuits left out. */
async function listed (args: string[]): Promise<string[][]> {
  const r = await cli(['deliveries', ...args])
  expect(r.code, r.err).toBe(0)
  return r.out.split('\n').filter((l) => l !== '' && !l.startsWith('circuit\t')).map((l) => l.split('\t'))
}

beforeAll(async () => {
  partner = await startStubPartner()
  partner.mode = (got) => [...rejected].some((id) => got.body.includes(id)) ? '400' : 'ok'
  gw = await startGateway()
})

afterAll(async () => {
  if (worker !== undefined && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL')
  await gw.close()
  await partner.close()
})

describe('npx workwell worker, deliveries and replay', () => {
  it('the worker alone delivers; an unfillable referral and a 400 are dead letters with their reasons; replay after the fix delivers', async () => {
    const good = await postReferral(gw.fhir)
    const refused = await postReferral(gw.fhir)
    rejected.add(refused)
    // Surrey Heartlands' mapping needs the home postcode: the referral is valid, the mapping cannot fill it
    const noAddress = readJson<{ contained: Array<{ resourceType: string, address?: unknown }> }>('fixtures/referrals/surrey-heartlands/gp-referral.json')
    for (const r of noAddress.contained) if (r.resourceType === 'Patient') delete r.address
    const res = await call(`${gw.fhir}/ServiceRequest`, { headers: await asReferrer(gw), body: noAddress })
    expect(res.status).toBe(201)
    const unfillable = res.body.id as string

    // the gateway itself sends nothing: it runs no worker, so its rows wait untried
    expect(gw.deps.config.delivery.enabled).toBe(false)
    const queued = await gw.deps.store.listDeliveries({ limit: 100 })
    expect(queued.map((r) => r.serviceRequestId).sort()).toEqual([good, refused, unfillable].sort())
    expect(queued.every((r) => r.status === 'pending' && r.attempts === 0)).toBe(true)
    expect(partner.requests).toHaveLength(0)

    worker = spawn(process.execPath, [CLI, 'worker'], { cwd: REPO, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    worker.stdout?.on('data', (d: Buffer) => { workerOutput += d.toString('utf8') })
    worker.stderr?.on('data', (d: Buffer) => { workerOutput += d.toString('utf8') })
    const exited = new Promise<number | null>((resolve) => { worker?.on('exit', (code) => { resolve(code) }) })

    // a process start on a loaded machine can take seconds: say what the worker printed if it never gets there
    await until(() => partner.stored.size >= 1 && partner.requests.some((r) => referralIn(r.body, [refused]) !== undefined), 60_000, 'the worker to deliver one and have one refused')
      .catch((err: unknown) => { throw new Error(`${String(err)}; worker output: ${workerOutput.slice(-2000)}`) })
    expect([...partner.stored.values()].map((r) => referralIn(r.body, [good, refused]))).toEqual([good])
    await until(async () => (await listed(['--status', 'dead-letter'])).length === 2, 60_000, 'two dead letters')

    // shown to operators with the reason, from the CLI ...
    const dead = await listed(['--status', 'dead-letter'])
    const deadFor = (sr: string): string[] | undefined => dead.find((d) => d[4] === `ServiceRequest/${sr}`)
    expect(deadFor(unfillable)?.slice(1, 4)).toEqual(['surrey-heartlands', 'dead-letter', 'attempts=1'])
    expect(deadFor(unfillable)?.[6]).toBe('mapping failed: missing required field(s) postcode')
    expect(deadFor(refused)?.[6]).toBe('HTTP 400 (rejected by partner): error required at referral.practice')
    // ... and over HTTP
    const admin = await call(`${gw.origin}/admin/deliveries?partnership=surrey-heartlands&status=dead-letter`, { headers: await asOperator(gw) })
    expect((admin.body as unknown as { deliveries: unknown[] }).deliveries).toEqual([
      expect.objectContaining({ serviceRequest: `ServiceRequest/${unfillable}`, status: 'dead-letter', lastError: 'mapping failed: missing required field(s) postcode' })
    ])
    // caught before delivery: nothing for Surrey Heartlands ever reached the partner
    expect(partner.requests.filter((r) => referralIn(r.body, [unfillable]) !== undefined)).toHaveLength(0)

    // the partner fixes its side; the operator replays from the CLI
    rejected.clear()
    const id = deadFor(refused)?.[0] ?? ''
    const replay = await cli(['replay', id])
    expect(replay.code, replay.err).toBe(0)
    expect(replay.out).toContain(`${id}\treplayed: pending, attempts reset`)
    await until(() => partner.stored.has(id), 60_000, 'the replayed delivery')
    expect(referralIn(partner.stored.get(id)?.body ?? '', [refused])).toBe(refused)
    await until(async () => (await listed(['--status', 'delivered'])).length === 2, 60_000, 'both recorded as delivered')

    // replaying it again is refused: it is no longer a dead letter
    const again = await cli(['replay', id])
    expect(again.code).toBe(1)
    expect(again.err).toContain('only a dead letter can be replayed')

    worker.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(workerOutput).toContain('delivery worker stopped')
    // logs carry ids and codes, never the patients' NHS numbers or names (the fixtures')
    expect(workerOutput).toContain(good)
    expect(workerOutput).not.toMatch(/9912003888|9991109897|Okafor|Langford/)
  }, 240_000)
})
