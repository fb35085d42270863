import { randomUUID } from 'node:crypto'
import { existsSync, rmSync } from 'node:fs'
import path from 'node:path'
import Fastify from 'fastify'
import { fhirErrorHandler } from '../../src/fhir/error-handler.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Bundle, ServiceRequest, Task } from '@medplum/fhirtypes'
import { REPO, startGateway, tempDataDir, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson } from '../helpers/fixtures.ts'
import { barsHeaders, cancellationMessage, referralMessage } from '../integration/bars-messages.ts'

/**
 * One test per finding of the access review, each against the real gateway over HTTP with a
 * real SQLite file, each with a token of exactly the role it exercises. Every one of them
 * failed on the gateway before access moved into the store's queries (docs/threat-model.md).
 */
let gw: TestGateway
const NCL = 'fixtures/referrals/north-central-london/gp-referral.json'
const GM = 'fixtures/referrals/greater-manchester/gp-referral.json'
const NCL_ODS = 'F83674'
const GM_ODS = 'Y02720'

let nclReferrer: string
let gmReferrer: string
let strangerReferrer: string
let nclPartnership: string
let gmPartnership: string

const bundleOf = (r: { body: unknown }): Bundle => r.body as Bundle
const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

async function refer (fixture: string, token: string, headers: Record<string, string> = {}): Promise<{ sr: string, task: string }> {
  const r = await call(`${gw.fhir}/ServiceRequest`, { body: readJson(fixture), headers: { ...auth(token), ...headers } })
  expect(r.status).toBe(201)
  const task = /Task\/([^>]+)>/.exec(r.headers.get('link') ?? '')?.[1]
  return { sr: String(r.body.id), task: task ?? '' }
}

beforeAll(async () => {
  gw = await startGateway()
  nclReferrer = await gw.token({ roles: ['referrer'], ods: [NCL_ODS], client: 'ncl-practice' })
  gmReferrer = await gw.token({ roles: ['referrer'], ods: [GM_ODS, 'P88002'], client: 'gm-practice' })
  strangerReferrer = await gw.token({ roles: ['referrer'], ods: ['Y99999'], client: 'stranger' })
  nclPartnership = await gw.token({ roles: ['partnership'], partnership: ['north-central-london'], client: 'ncl-partnership' })
  gmPartnership = await gw.token({ roles: ['partnership'], partnership: ['greater-manchester'], client: 'gm-partnership' })
})

afterAll(async () => { await gw.close() })

describe('access review findings', () => {
  it('1: a doubling JSON Patch is refused at once, and the gateway keeps answering', async () => {
    const { task } = await refer(NCL, nclReferrer)
    const ops = [{ op: 'add', path: '/note/-', value: { text: 'x' } }, ...Array.from({ length: 26 }, () => ({ op: 'copy', from: '/note', path: '/note/-' }))]
    const started = Date.now()
    const r = await call(`${gw.fhir}/Task/${task}`, { method: 'PATCH', raw: JSON.stringify(ops), headers: { ...auth(nclPartnership), 'content-type': 'application/json-patch+json', 'if-match': 'W/"1"' } })
    expect(r.status).toBe(422)
    expect(r.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'too-costly' }] })
    expect(Date.now() - started).toBeLessThan(2000)
    expect((await call(`${gw.origin}/health/live`)).status).toBe(200)
    // nor is a whole new version a way around the bound
    const current = (await call(`${gw.fhir}/Task/${task}`, { headers: { ...auth(nclPartnership) } })).body as unknown as Task
    const big = { ...current, note: [...(current.note ?? []), ...Array.from({ length: 2000 }, () => ({ text: 'x'.repeat(100) }))] }
    const put = await call(`${gw.fhir}/Task/${task}`, { method: 'PUT', body: big, headers: { ...auth(nclPartnership), 'if-match': 'W/"1"' } })
    expect(put.status).toBe(422)
    expect(put.body).toMatchObject({ issue: [{ code: 'too-costly' }] })
    const after = await call(`${gw.fhir}/Task/${task}`, { headers: { ...auth(nclPartnership) } })
    expect(after.headers.get('etag')).toBe('W/"1"')
  })

  it('2: a transaction\'s Patient stays readable by its owner however often others read or probe it', async () => {
    const bundle = readJson<Bundle>('fixtures/bundles/greater-manchester-transaction.json')
    const r = await call(gw.fhir, { body: bundle, headers: auth(gmReferrer) })
    expect(r.status).toBe(200)
    const patient = (bundleOf(r).entry ?? []).map((e) => e.response?.location ?? '').find((l) => l.startsWith('Patient/'))?.split('/')[1]
    expect(patient).toBeDefined()
    for (let i = 0; i < 12; i++) {
      expect((await call(`${gw.fhir}/Patient/${patient ?? ''}`, { headers: { ...auth(strangerReferrer) } })).status).toBe(404)
      expect((await call(`${gw.fhir}/Patient/${patient ?? ''}`, { headers: { authorization: '' } })).status).toBe(401)
    }
    for (let i = 0; i < 12; i++) expect((await call(`${gw.fhir}/Patient/${patient ?? ''}`, { headers: { ...auth(gmReferrer) } })).status).toBe(200)
    expect((await call(`${gw.fhir}/Patient/${patient ?? ''}`, { headers: { ...auth(gmPartnership) } })).status).toBe(200)
    expect((await call(`${gw.fhir}/Patient/${patient ?? ''}`, { headers: { ...auth(nclPartnership) } })).status).toBe(404)
  })

  it('3: a search pages, counts and links only the caller\'s Tasks', async () => {
    await refer(NCL, nclReferrer)
    await refer(GM, gmReferrer)
    const none = await call(`${gw.fhir}/Task?_count=1`, { headers: { ...auth(strangerReferrer) } })
    expect(none.status).toBe(200)
    expect(bundleOf(none).total).toBe(0)
    expect((bundleOf(none).link ?? []).map((l) => l.relation)).toStrictEqual(['self'])
    // walk the NCL referrer's pages one Task at a time: every Task and every cursor is its own
    const seen: string[] = []
    let url: string | undefined = `${gw.fhir}/Task?_count=1`
    while (url !== undefined) {
      const page: Bundle = bundleOf(await call(url.replace('http://gateway.test/fhir', gw.fhir), { headers: auth(nclReferrer) }))
      for (const e of page.entry ?? []) {
        const t = e.resource as Task
        expect(t.requester?.identifier?.value).toBe(NCL_ODS)
        seen.push(t.id ?? '')
      }
      const next = page.link?.find((l) => l.relation === 'next')?.url
      if (next !== undefined) {
        const cursor = new URL(next).searchParams.get('_cursor') ?? ''
        const id = Buffer.from(cursor, 'base64url').toString('utf8').split('|')[1]
        expect(seen).toContain(id)
      }
      url = next
    }
    const all = await call(`${gw.fhir}/Task?_count=100`, { headers: { ...auth(nclReferrer) } })
    expect(bundleOf(all).total).toBe(seen.length)
    // a partnership asking for another's Tasks by owner= gets nothing, not a count of them
    const asked = await call(`${gw.fhir}/Task?owner=Organization/greater-manchester`, { headers: { ...auth(nclPartnership) } })
    expect(bundleOf(asked).total).toBe(0)
  })

  it('4: /metrics labels come from the profiles the gateway knows, never from the caller', async () => {
    const token = await gw.token({ roles: ['referrer'], ods: [NCL_ODS] })
    const profile = `https://attacker.example/${randomUUID()}/${'x'.repeat(500)}`
    const r = await call(`${gw.fhir}/$validate`, { body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', meta: { profile: [profile] }, gender: 'nope' } }, { name: 'profile', valueUri: profile }] }, headers: { ...auth(token) } })
    expect(r.status).toBe(200)
    const metrics = await call(`${gw.origin}/metrics`, { headers: { ...auth(await gw.token({ roles: ['operator'] })) } })
    expect(metrics.text).not.toContain('attacker.example')
    expect(metrics.text).toMatch(/workwell_validation_failures_total\{profile="(unknown-profile|base)"\}/)
  })

  it('5: an X-Request-Id belongs to its sender: another client\'s same id is its own request', async () => {
    const id = randomUUID()
    const first = await refer(NCL, nclReferrer, { 'x-request-id': id })
    const other = await gw.token({ roles: ['referrer'], ods: [NCL_ODS], client: 'another-ncl-system' })
    const second = await call(`${gw.fhir}/ServiceRequest`, { body: readJson(NCL), headers: { ...auth(other), 'x-request-id': id } })
    expect(second.status).toBe(201)
    expect(second.text).not.toContain(first.sr)
    expect(second.text).not.toContain(first.task)
    const repeat = await call(`${gw.fhir}/ServiceRequest`, { body: readJson(NCL), headers: { ...auth(nclReferrer), 'x-request-id': id } })
    expect(repeat.status).toBe(409)
    expect(repeat.text).toContain(first.sr)
  })

  it('6: a BaRS sender may name only its own endpoint and practice, and another\'s referral reads as unknown', async () => {
    const post = async (body: unknown, token: string): Promise<Awaited<ReturnType<typeof call>>> =>
      call(`${gw.fhir}/$process-message`, { body, headers: { ...barsHeaders(), ...auth(token) } })
    // someone else's endpoint: the practice may refer, but responses would go to another organisation
    const y02720Only = await gw.token({ roles: ['referrer'], ods: [GM_ODS], client: 'y02720-system' })
    const hijack = await post(referralMessage(GM, { source: 'https://fhir.nhs.uk/Id/ods-organization-code|P88002' }), y02720Only)
    expect(hijack.status).toBe(403)
    expect(JSON.stringify(hijack.body)).toContain('source.endpoint')
    // a requester without an ODS code is not an own-practice referral
    const bare = referralMessage(GM, { serviceRequest: { requester: { display: 'A practice' } } as Partial<ServiceRequest> })
    const noOds = await post(bare, gmReferrer)
    expect(noOds.status).toBe(422)
    expect(JSON.stringify(noOds.body)).toContain('requester')
    // gm's referral, cancelled by another client of the same practice, and an unknown one
    const sent = referralMessage(GM)
    expect((await post(sent, gmReferrer)).status).toBe(200)
    const sibling = await gw.token({ roles: ['referrer'], ods: [GM_ODS, 'P88002'], client: 'gm-other-system' })
    const theirs = await post(cancellationMessage(sent.id ?? ''), sibling)
    const unknown = await post(cancellationMessage(randomUUID()), sibling)
    expect(theirs.status).toBe(404)
    expect(unknown.status).toBe(theirs.status)
    const text = (r: typeof theirs): string => JSON.stringify((r.body as { issue?: unknown }).issue).replace(/[0-9a-f-]{36}/g, 'ID')
    expect(text(theirs)).toBe(text(unknown))
  })

  it('7: a text/plain body is 415, and the development referrer token covers every fixture practice', async () => {
    const r = await call(`${gw.fhir}/ServiceRequest`, { raw: JSON.stringify(readJson(NCL)), headers: { ...auth(nclReferrer), 'content-type': 'text/plain' } })
    expect(r.status).toBe(415)
    expect(r.body.resourceType).toBe('OperationOutcome')
    const { tokenDefaults } = await import('../../src/auth/token-command.ts')
    const ods = tokenDefaults(gw.deps.partnerships, 'fixtures').ods
    expect(ods).toEqual(expect.arrayContaining(['Y09001', 'Y09003', NCL_ODS, GM_ODS]))
  })

  it('8: development mode only when NODE_ENV is unset, development or test; any other value needs issuers', async () => {
    const { loadConfig, ConfigError } = await import('../../src/config.ts')
    const { effectiveIssuers } = await import('../../src/auth/dev-keys.ts')
    const dataDir = tempDataDir()
    try {
      for (const nodeEnv of ['prod', 'Production', 'staging', 'production']) {
        const config = loadConfig({ NODE_ENV: nodeEnv, WORKWELL_DUPLICATE_KEY: 'k'.repeat(32), WORKWELL_DATA_DIR: dataDir }, REPO)
        expect(config.security.production).toBe(true)
        const refused = await effectiveIssuers(config).then(() => undefined, (err: unknown) => err)
        expect(refused).toBeInstanceOf(ConfigError)
        expect((refused as InstanceType<typeof ConfigError>).variable).toBe('WORKWELL_AUTH_ISSUERS')
        expect(String(refused)).toContain('NODE_ENV')
      }
      expect(existsSync(path.join(dataDir, 'auth'))).toBe(false)
      for (const nodeEnv of [undefined, 'development', 'test']) {
        const config = loadConfig({ ...(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }), WORKWELL_DATA_DIR: dataDir }, REPO)
        expect(config.security.production).toBe(false)
        expect((await effectiveIssuers(config)).devKey).toBeDefined()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('9: a 500 is logged with the error\'s class, code and frames, never its message', async () => {
    const secret = 'Jane Example 943 476 5919 SW1A 1AA'
    const logs: string[] = []
    const server = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { logs.push(line) } } } })
    server.setErrorHandler(fhirErrorHandler)
    server.get('/boom', async () => {
      const err = new Error(`value "${secret}" violates a constraint`) as Error & { code: string }
      err.code = '23505'
      throw err
    })
    const res = await server.inject({ url: '/boom' })
    await server.close()
    expect(res.statusCode).toBe(500)
    expect(res.body).not.toContain(secret)
    const line = logs.find((l) => l.includes('request failed'))
    expect(line).toBeDefined()
    expect(line).toContain('"errCode":"23505"')
    expect(line).toContain('"errName":"Error"')
    expect(logs.join('\n')).not.toContain('Jane')
    expect(logs.join('\n')).not.toContain('943 476')
  })
})
