import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, tempDataDir } from '../helpers/gateway.ts'
import { call } from '../helpers/fixtures.ts'
import { postReferral, referralIn, startStubPartner, until, type StubPartner } from './delivery-helpers.ts'

const REFERRALS = 30

let partner: StubPartner
let dataDir: string
const children: ChildProcess[] = []

/** Starts `node src/server.ts` and resolves to its origin once it listens. */
async function startServer (): Promise<{ child: ChildProcess, origin: string }> {
  const child = spawn(process.execPath, [path.join(REPO, 'src/server.ts')], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      WORKWELL_DATA_DIR: dataDir,
      WORKWELL_DELIVERY_POLL_MS: '20',
      WORKWELL_DELIVERY_TIMEOUT_MS: '500',
      WORKWELL_DELIVERY_LEASE_MS: '1000',
      WORKWELL_DELIVERY_CONCURRENCY: '10',
      WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: partner.url('north-central-london')
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.push(child)
  const origin = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => { reject(new Error(`server did not start: ${out.slice(-2000)}`)) }, 15_000)
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8')
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${String(code)}): ${out.slice(-2000)}`)) })
  })
  return { child, origin }
}

async function exited (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
}

beforeAll(async () => {
  partner = await startStubPartner()
  // slow answers keep deliveries in flight when the gateway is killed
  partner.delayMs = 150
  dataDir = tempDataDir()
})

afterAll(async () => {
  for (const child of children) {
    child.kill('SIGKILL')
    await exited(child)
  }
  await partner.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('the gateway killed mid-delivery and restarted', () => {
  it('loses nothing: every accepted referral arrives, exactly once by Idempotency-Key', async () => {
    const first = await startServer()
    const accepted: string[] = []
    for (let i = 0; i < REFERRALS; i++) accepted.push(await postReferral(`${first.origin}/fhir`))
    await until(() => partner.requests.length >= 3, 10_000, 'deliveries in flight')

    first.child.kill('SIGKILL')
    await exited(first.child)
    const arrivedBeforeCrash = new Set(partner.stored.keys()).size
    expect(arrivedBeforeCrash).toBeLessThan(REFERRALS)

    const second = await startServer()
    await until(() => partner.stored.size >= REFERRALS, 20_000, 'every referral to arrive after the restart')
    // a moment for any duplicate from the restart to show up
    await new Promise((resolve) => setTimeout(resolve, 300))

    const stored = [...partner.stored.values()]
    const referrals = stored.map((r) => referralIn(r.body, accepted))
    expect(new Set(referrals).size).toBe(REFERRALS)
    expect(stored).toHaveLength(REFERRALS)
    expect([...new Set(referrals)].sort()).toEqual([...accepted].sort())
    // at least once on the wire; each key is one outbox row, so one referral
    expect(partner.requests.length).toBeGreaterThanOrEqual(REFERRALS)

    await until(async () => {
      const res = await call(`${second.origin}/admin/deliveries?status=delivered`)
      return (res.body as unknown as { deliveries: unknown[] }).deliveries.length === REFERRALS
    }, 10_000, 'the restarted gateway to record every delivery')
    second.child.kill('SIGTERM')
    await exited(second.child)
  })
})
