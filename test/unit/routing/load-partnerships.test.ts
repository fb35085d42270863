import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServiceRequest } from '@medplum/fhirtypes'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { extractFacts } from '../../../src/referral/referral-facts.ts'
import { containedPackage } from '../../../src/referral/referral-package.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'
import { buildRoutingIndex, icbOn, routeReferral } from '../../../src/routing/route-referral.ts'

const MAPPINGS = fileURLToPath(new URL('../../../mappings', import.meta.url))
const REFERRALS = fileURLToPath(new URL('../../../fixtures/referrals', import.meta.url))

function good (id: string): Partnership {
  return {
    id,
    name: `${id} WorkWell`,
    version: '2026.12.1',
    reviewBy: '2027-05-31',
    leadIcbs: [
      { odsCode: 'QMJ', name: 'NHS North Central London ICB', from: '2022-07-01', to: '2026-03-31' },
      { odsCode: 'Z9B2Z', name: 'NHS West and North London', from: '2026-04-01' }
    ],
    practices: ['F83674'],
    postcodeDistricts: ['N7', 'EC1A'],
    delivery: { endpoint: 'http://127.0.0.1:9090/in', format: 'csv', maxAttempts: 5 },
    sources: ['test']
  }
}

let dir: string
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'workwell-partnerships-')) })
afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

function write (folder: string, content: unknown): string {
  mkdirSync(join(dir, folder), { recursive: true })
  const file = join(dir, folder, 'partnership.json')
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

describe('loadPartnerships over a folder', () => {
  it('loads each partnership.json, keyed by id, and ignores loose files', async () => {
    write('north-central-london', good('north-central-london'))
    write('frimley', { ...good('frimley'), practices: ['H81130'], postcodeDistricts: ['GU18'] })
    writeFileSync(join(dir, 'README.md'), '# not a partnership')
    const loaded = await loadPartnerships(dir)
    expect([...loaded.keys()]).toStrictEqual(['frimley', 'north-central-london'])
    expect(loaded.get('north-central-london')).toStrictEqual({ ...good('north-central-london'), practiceSource: 'listed' })
  })

  it('names the file whose JSON is broken', async () => {
    const file = write('frimley', '{ "id": "frimley", ')
    await expect(loadPartnerships(dir)).rejects.toThrow(`${file}: `)
    await expect(loadPartnerships(dir)).rejects.toThrow(/JSON/)
  })

  it('names a folder that lacks its partnership.json', async () => {
    mkdirSync(join(dir, 'frimley'))
    await expect(loadPartnerships(dir)).rejects.toThrow(`${join(dir, 'frimley', 'partnership.json')}: `)
  })

  it('names the file and the field that breaks the schema', async () => {
    const file = write('frimley', { ...good('frimley'), practices: ['h81130'] })
    await expect(loadPartnerships(dir)).rejects.toThrow(`${file}: data/practices/0 must match pattern`)
  })

  it('rejects each kind of schema error', async () => {
    const { delivery: _delivery, ...noDelivery } = good('frimley')
    const bad: Array<[unknown, RegExp]> = [
      [noDelivery, /must have required property 'delivery'/],
      [{ ...good('frimley'), leadIcbs: [] }, /leadIcbs must NOT have fewer than 1 items/],
      [{ ...good('frimley'), postcodeDistricts: ['N7 6LB'] }, /postcodeDistricts\/0 must match pattern/],
      [{ ...good('frimley'), delivery: { endpoint: 'ftp://x', format: 'csv', maxAttempts: 5 } }, /delivery\/endpoint must match pattern/],
      [{ ...good('frimley'), delivery: { endpoint: 'http://x', format: 'xml', maxAttempts: 5 } }, /delivery\/format must be equal to one of the allowed values/],
      [{ ...good('frimley'), delivery: { endpoint: 'http://x', format: 'csv', maxAttempts: 0 } }, /delivery\/maxAttempts must be >= 1/],
      [{ ...good('frimley'), colour: 'blue' }, /must NOT have additional properties/],
      [{ ...good('frimley'), leadIcbs: [{ odsCode: 'QMJ', name: 'x', from: '1 April 2026' }] }, /leadIcbs\/0\/from must match pattern/],
      [{ ...good('frimley'), barsServices: [{ serviceId: 'frimley-referrals', kind: 'referral' }] }, /barsServices\/0\/serviceId must match pattern/],
      [{ ...good('frimley'), barsServices: [{ serviceId: 'https://x.example/Id/s|1', kind: 'physio' }] }, /barsServices\/0\/kind must be equal to one of the allowed values/]
    ]
    for (const [content, message] of bad) {
      const file = write('frimley', content)
      await expect(loadPartnerships(dir), String(message)).rejects.toThrow(message)
      await expect(loadPartnerships(dir), String(message)).rejects.toThrow(file)
    }
  })

  it('keeps the BaRS service ids a partnership offers', async () => {
    const services = [{ serviceId: 'https://fhir.nhs.uk/Id/dos-service-id|2000012345', kind: 'referral' }, { serviceId: 'https://fhir.nhs.uk/Id/dos-service-id|2000012346', kind: 'fit-note-triage', name: 'Frimley fit notes' }]
    write('frimley', { ...good('frimley'), barsServices: services })
    expect((await loadPartnerships(dir)).get('frimley')?.barsServices).toEqual(services)
  })

  it('rejects an id that differs from the folder name', async () => {
    const file = write('frimley', good('surrey-heartlands'))
    await expect(loadPartnerships(dir)).rejects.toThrow(`${file}: id "surrey-heartlands" differs from its folder name "frimley"`)
  })

  it('applies an endpoint override to its partnership only', async () => {
    write('north-central-london', good('north-central-london'))
    write('frimley', { ...good('frimley'), practices: ['H81130'], postcodeDistricts: ['GU18'] })
    const loaded = await loadPartnerships(dir, { frimley: 'https://frimley.example/referrals' })
    expect(loaded.get('frimley')?.delivery).toStrictEqual({ endpoint: 'https://frimley.example/referrals', format: 'csv', maxAttempts: 5 })
    expect(loaded.get('north-central-london')?.delivery.endpoint).toBe('http://127.0.0.1:9090/in')
  })

  it('rejects an override for a partnership that does not exist, naming the variable', async () => {
    write('frimley', good('frimley'))
    await expect(loadPartnerships(dir, { 'north-central-london': 'https://ncl.example/' }))
      .rejects.toThrow(`WORKWELL_PARTNER_URL_NORTH_CENTRAL_LONDON: no partnership "north-central-london" under ${dir}`)
  })
})

describe('the real mappings folder', () => {
  it('holds 15 valid partnerships that index without overlap and route every example referral to its own partnership', async () => {
    const partnerships = await loadPartnerships(MAPPINGS)
    expect(partnerships.size).toBe(15)
    expect([...partnerships.keys()]).toStrictEqual(readdirSync(MAPPINGS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort())
    const index = buildRoutingIndex(partnerships.values())
    const on = new Date('2026-11-20T12:00:00Z')
    for (const p of partnerships.values()) {
      expect(icbOn(p, on), `${p.id} has a lead ICB after April 2026`).toBeDefined()
      expect(icbOn(p, new Date('2026-03-31T12:00:00Z')), `${p.id} has a lead ICB before April 2026`).toBeDefined()
    }
    let routed = 0
    for (const id of readdirSync(REFERRALS)) {
      for (const file of readdirSync(join(REFERRALS, id))) {
        const sr = JSON.parse(readFileSync(join(REFERRALS, id, file), 'utf8')) as ServiceRequest
        const decision = routeReferral(extractFacts(containedPackage(sr)), index, on)
        expect(decision.ok && decision.partnership.id, `${id}/${file}`).toBe(id)
        routed++
      }
    }
    expect(routed).toBeGreaterThanOrEqual(15)
  })

  it('keeps Frimley and Surrey Heartlands apart although both sit in S9B9J after April 2026', async () => {
    const partnerships = await loadPartnerships(MAPPINGS)
    const frimley = partnerships.get('frimley')
    const surrey = partnerships.get('surrey-heartlands')
    expect(frimley && icbOn(frimley, new Date('2026-04-01T12:00:00Z'))?.odsCode).toBe('S9B9J')
    expect(surrey && icbOn(surrey, new Date('2026-04-01T12:00:00Z'))?.odsCode).toBe('S9B9J')
    expect(frimley && icbOn(frimley, new Date('2026-03-31T12:00:00Z'))?.odsCode).toBe('QNQ')
    expect(surrey && icbOn(surrey, new Date('2026-03-31T12:00:00Z'))?.odsCode).toBe('QXU')
  })
})
