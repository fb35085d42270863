import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { REPO } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { asReferrer } from '../helpers/tokens.ts'

/** What the stub partner does with one request. */
export type PartnerMode = 'ok' | 'slow' | '503' | 'hang' | 'reset' | 'store-then-reset' | 'store-then-hang' | '400'

export interface ReceivedDelivery {
  key: string
  body: string
  headers: IncomingMessage['headers']
  /** request target, e.g. /north-central-london/referrals?via=a */
  path: string
}

/** A real local partner system on 127.0.0.1 that deduplicates on Idempotency-Key. */
export interface StubPartner {
  url: (partnership: string) => string
  port: number
  /** every request, duplicates included */
  requests: ReceivedDelivery[]
  /** what the partner's system holds: one entry per Idempotency-Key */
  stored: Map<string, ReceivedDelivery>
  /** decides the answer to each request (default 'ok') */
  mode: (req: ReceivedDelivery) => PartnerMode
  delayMs: number
  /** how long a 'slow' answer takes (default 300 ms) */
  slowMs: number
  close: () => Promise<void>
  /** stops listening (connections are refused) */
  goDown: () => Promise<void>
  /** listens again on the same port */
  comeBack: () => Promise<void>
}

/**
 * Starts the stub partner. Modes: ok (201; a repeat of a stored key is 200, not stored again), slow (ok after slowMs),
 * 503, hang (never answers), reset (destroys the socket), store-then-reset / store-then-hang
 * (the partner stored it but the answer is lost: the case an idempotency key exists for), and
 * 400 with an OperationOutcome.
 */
export async function startStubPartner (port = 0): Promise<StubPartner> {
  const sockets = new Set<Socket>()
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const got: ReceivedDelivery = { key: String(req.headers['idempotency-key']), body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, path: req.url ?? '' }
      partner.requests.push(got)
      const answer = (): void => {
        const mode = partner.mode(got)
        const store = (): void => { if (!partner.stored.has(got.key)) partner.stored.set(got.key, got) }
        switch (mode) {
          case 'ok': {
            const repeat = partner.stored.has(got.key)
            store()
            res.writeHead(repeat ? 200 : 201, { 'content-type': 'application/json' }).end('{"ok":true}')
            return
          }
          case 'slow':
            // not a wait: this partner answers slowly on purpose
            setTimeout(() => {
              const repeat = partner.stored.has(got.key)
              store()
              res.writeHead(repeat ? 200 : 201, { 'content-type': 'application/json' }).end('{"ok":true}')
            }, partner.slowMs)
            return
          case '503':
            res.writeHead(503, { 'retry-after': '0' }).end('busy')
            return
          case 'hang':
            return
          case 'store-then-hang':
            store()
            return
          case 'reset':
            req.socket.destroy()
            return
          case 'store-then-reset':
            store()
            req.socket.destroy()
            return
          case '400':
            res.writeHead(400, { 'content-type': 'application/fhir+json' }).end(JSON.stringify({
              resourceType: 'OperationOutcome',
              issue: [{ severity: 'error', code: 'required', diagnostics: 'practice not known to us', expression: ['referral.practice'] }]
            }))
        }
      }
      // not a wait: a partner's answer delay is the condition under test
      if (partner.delayMs > 0) setTimeout(answer, partner.delayMs)
      else answer()
    })
  }
  let server: Server = createServer(handle)
  const listen = async (p: number): Promise<number> => {
    server = createServer(handle)
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
    await new Promise<void>((resolve) => { server.listen(p, '127.0.0.1', resolve) })
    return (server.address() as AddressInfo).port
  }
  const stop = async (): Promise<void> => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
  }
  const actual = await listen(port)
  const partner: StubPartner = {
    port: actual,
    url: (partnership) => `http://127.0.0.1:${actual}/${partnership}/referrals`,
    requests: [],
    stored: new Map(),
    mode: () => 'ok',
    delayMs: 0,
    slowMs: 300,
    close: stop,
    goDown: stop,
    comeBack: async () => { await listen(actual) }
  }
  return partner
}

/**
 * A temporary copy of mappings/ with every partnership's maxAttempts set, so a test against
 * a deliberately bad partner is not cut short by the production attempt limit.
 * @returns the folder and a function that removes it
 */
export function mappingsWithMaxAttempts (maxAttempts: number): { dir: string, remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'workwell-mappings-'))
  cpSync(path.join(REPO, 'mappings'), dir, { recursive: true })
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const file = path.join(dir, entry.name, 'partnership.json')
    const p = JSON.parse(readFileSync(file, 'utf8')) as { delivery: { maxAttempts: number } }
    p.delivery.maxAttempts = maxAttempts
    writeFileSync(file, JSON.stringify(p))
  }
  return { dir, remove: () => { rmSync(dir, { recursive: true, force: true }) } }
}

/** POSTs the NCL GP referral fixture and returns the new ServiceRequest id. */
export async function postReferral (fhirBase: string): Promise<string> {
  const res = await call(`${fhirBase}/ServiceRequest`, { headers: await asReferrer(fhirBase), body: readJson('fixtures/referrals/north-central-london/gp-referral.json') })
  if (res.status !== 201) throw new Error(`referral not accepted: ${res.status} ${res.text.slice(0, 300)}`)
  return res.body.id as string
}

/** The ServiceRequest id a delivered NCL bundle is about (the mapped body carries it). */
export function referralIn (body: string, ids: Iterable<string>): string | undefined {
  for (const id of ids) if (body.includes(id)) return id
  return undefined
}

/** A small seeded generator, so a failing run can be reproduced. */
export function seeded (seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648
    return s / 2_147_483_648
  }
}

export { until } from '../helpers/until.ts'
