import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Task } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { main } from '../../../src/cli.ts'
import { TRIAGE_USAGE } from '../../../src/triage/triage-command.ts'
import { REPO } from './rules-fixture.ts'

async function run (args: string[]): Promise<{ code: number, out: string[], err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const cwd = process.cwd()
  process.chdir(REPO)
  try {
    return { code: await main(args, (l) => out.push(l), (l) => err.push(l)), out, err }
  } finally { process.chdir(cwd) }
}

const task = (out: string[]): Task => JSON.parse(out.join('\n')) as Task

describe('workwell triage FILE', () => {
  it('prints the Task for a referral as the gateway would, on the day given', async () => {
    const r = await run(['triage', 'fixtures/triage/lancashire-and-south-cumbria-out-of-work-7-months.json', '--on', '2026-11-20'])
    expect(r.code).toBe(0)
    const t = task(r.out)
    expect(t.businessStatus?.coding?.[0]?.code).toBe('signpost-only')
    expect(t.owner?.reference).toBe('Organization/lancashire-and-south-cumbria')
    expect(t.authoredOn).toBe('2026-11-20T12:00:00.000Z')
    expect(t.extension?.[0]?.valueString).toBe('workwell-baseline/2026.12.4+lancashire-and-south-cumbria/2026.12.2+lancashire-and-south-cumbria/partnership/2026.12.1')
    expect(t.requester?.identifier?.value).toBe('Y09001')
    expect(t.for?.identifier?.system).toBe('https://fhir.nhs.uk/Id/nhs-number')
  })

  it('prints the Task for a fit-note triage request and for a transaction Bundle', async () => {
    const fitNote = await run(['triage', 'fixtures/referrals/coventry-and-warwickshire/fit-note-triage.json', '--on', '2026-11-20'])
    expect(fitNote.code).toBe(0)
    expect(task(fitNote.out).output?.map((o) => o.valueCodeableConcept?.coding?.[0]?.code)).toContain('workplace-adjustments')
    const bundle = await run(['triage', 'fixtures/bundles/greater-manchester-transaction.json', '--on', '2026-11-20'])
    expect(bundle.code).toBe(0)
    expect(task(bundle.out).owner?.reference).toBe('Organization/greater-manchester')
    // the preview numbers the ids it gives the Bundle's resources; the Patient's is the first
    expect(task(bundle.out).for?.reference).toBe('Patient/preview-1')
  })

  it('stores nothing: the CLI opens no store and creates no data folder', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'workwell-cli-store-'))
    const dataDir = path.join(parent, 'data')
    const before = process.env.WORKWELL_DATA_DIR
    process.env.WORKWELL_DATA_DIR = dataDir
    try {
      const r = await run(['triage', 'fixtures/referrals/north-central-london/gp-referral.json', '--on', '2026-11-20'])
      expect(r.code).toBe(0)
      expect(task(r.out).id).toBe('preview')
      expect(task(r.out).businessStatus?.coding?.[0]?.code).toBe('eligible-refer')
      // The gateway would create the SQLite file here on start; the CLI must not.
      expect(existsSync(dataDir)).toBe(false)
      expect(readdirSync(parent)).toStrictEqual([])
    } finally {
      if (before === undefined) delete process.env.WORKWELL_DATA_DIR
      else process.env.WORKWELL_DATA_DIR = before
      rmSync(parent, { recursive: true, force: true })
    }
  })

  it('exits 1 for an invalid or unroutable request, 2 for bad usage', async () => {
    const invalid = await run(['triage', 'fixtures/invalid/bad-nhs-number-check-digit.json'])
    expect(invalid.code).toBe(1)
    expect(invalid.out).toStrictEqual([])
    expect(invalid.err).toStrictEqual(['invalid: ServiceRequest.contained[0].identifier[0].value: Invalid NHS number: it must be 10 digits whose last is the Modulus 11 check digit of the other 9 (ServiceRequest.contained[0].identifier[0].value)'])
    const dir = mkdtempSync(path.join(tmpdir(), 'workwell-cli-'))
    try {
      const sr = JSON.parse(JSON.stringify((await import('../../../fixtures/referrals/north-central-london/gp-referral.json', { with: { type: 'json' } })).default)) as {
        requester: { identifier: { value: string } }, contained: Array<{ id: string, address?: unknown, generalPractitioner?: unknown }>
      }
      sr.requester.identifier.value = 'A83008'
      const patient = sr.contained.find((c) => c.id === 'patient')
      if (patient !== undefined) {
        patient.address = [{ use: 'home', postalCode: 'LS1 4AP' }]
        delete patient.generalPractitioner
      }
      const file = path.join(dir, 'away.json')
      writeFileSync(file, JSON.stringify(sr))
      const r = await run(['triage', file])
      expect(r.code).toBe(1)
      expect(r.err.join('')).toContain('unroutable')
    } finally { rmSync(dir, { recursive: true, force: true }) }
    expect((await run(['triage'])).code).toBe(2)
    expect((await run(['triage', 'a.json', '--on', 'tomorrow'])).code).toBe(2)
  })
})

describe('workwell triage FILE: consent from several permits', () => {
  it('comes out deliverable with two permits, one expired and one current open-ended, in either order', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'workwell-cli-consent-'))
    try {
      for (const expiredLast of [true, false]) {
        const sr = JSON.parse(JSON.stringify((await import('../../../fixtures/referrals/north-central-london/gp-referral.json', { with: { type: 'json' } })).default)) as {
          contained: Array<{ id: string, provision?: { period?: { start?: string, end?: string } } }>, supportingInfo: Array<{ reference: string }>
        }
        const permit = sr.contained.find((c) => c.id === 'consent')
        if (permit?.provision === undefined) throw new Error('fixture has no consent')
        const expired = { ...structuredClone(permit), id: 'consent-2024', provision: { ...structuredClone(permit.provision), period: { start: '2024-01-10', end: '2024-07-09' } } }
        permit.provision.period = { start: '2026-11-20' }
        sr.contained.push(expired)
        sr.supportingInfo = expiredLast
          ? [...sr.supportingInfo, { reference: '#consent-2024' }]
          : [{ reference: '#consent-2024' }, ...sr.supportingInfo]
        const file = path.join(dir, `two-permits-${String(expiredLast)}.json`)
        writeFileSync(file, JSON.stringify(sr))
        const r = await run(['triage', file, '--on', '2026-11-20'])
        expect(r.code, r.err.join('\n')).toBe(0)
        const t = task(r.out)
        expect(t.businessStatus?.coding?.[0]?.code, `expired permit last: ${String(expiredLast)}`).toBe('eligible-refer')
        expect(t.status).toBe('requested')
        expect(t.statusReason).toBeUndefined()
      }
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })
})

describe('workwell triage FILE: risk seen by a person', () => {
  it('puts an LSC referral coded complex needs, with a note, before a clinician: clinical review, urgent, requested', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'workwell-cli-risk-'))
    try {
      const sr = JSON.parse(JSON.stringify((await import('../../../fixtures/triage/lancashire-and-south-cumbria-direct-referral.json', { with: { type: 'json' } })).default)) as {
        contained: Array<{ id: string, valueCodeableConcept?: { coding: Array<{ code: string, display?: string }> } }>, note?: Array<{ text: string }>
      }
      const risk = sr.contained.find((c) => c.id === 'risk')
      if (risk?.valueCodeableConcept === undefined) throw new Error('fixture has no risk Observation')
      risk.valueCodeableConcept.coding = [{ ...risk.valueCodeableConcept.coding[0], code: 'complex-health-needs', display: 'Complex health needs' }]
      // Free text is never read for meaning: the coded indicator alone decides.
      sr.note = [{ text: 'Has had thoughts of ending their life.' }]
      const file = path.join(dir, 'complex-needs.json')
      writeFileSync(file, JSON.stringify(sr))
      const r = await run(['triage', file, '--on', '2026-11-20'])
      expect(r.code, r.err.join('\n')).toBe(0)
      const t = task(r.out)
      expect(t.businessStatus?.coding?.[0]?.code).toBe('clinical-review')
      expect(t.status).toBe('requested')
      expect(t.priority).toBe('urgent')
      expect(t.statusReason?.text).toContain('For clinical review at the partnership')
      expect(t.output?.map((o) => o.valueCodeableConcept?.coding?.[0]?.code)).not.toContain('debt-advice')
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })
})

describe('workwell triage FILE: arguments and ids', () => {
  const ncl = 'fixtures/referrals/north-central-london/gp-referral.json'

  it('triages as of now without --on, and refuses a malformed or missing --on date with the usage', async () => {
    const before = Date.now()
    const r = await run(['triage', ncl])
    expect(r.code, r.err.join('\n')).toBe(0)
    const authored = Date.parse(task(r.out).authoredOn ?? '')
    expect(authored).toBeGreaterThanOrEqual(before - 1000)
    expect(authored).toBeLessThanOrEqual(Date.now() + 1000)
    for (const bad of [['--on'], ['--on', '2026-11-20x'], ['--on', 'x2026-11-20']]) {
      const refused = await run(['triage', ncl, ...bad])
      expect(refused.code, bad.join(' ')).toBe(2)
      expect(refused.err).toStrictEqual([`usage: workwell\n${TRIAGE_USAGE}`])
    }
  })

  it('names the ServiceRequest by its id, or "preview" without one; a transaction\'s Patient by a preview id', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'workwell-cli-ids-'))
    try {
      const sr = JSON.parse(JSON.stringify((await import('../../../fixtures/referrals/north-central-london/gp-referral.json', { with: { type: 'json' } })).default)) as { id?: string }
      delete sr.id
      const withoutId = await run(['triage', ncl, '--on', '2026-11-20'])
      expect(task(withoutId.out).basedOn).toStrictEqual([{ reference: 'ServiceRequest/preview' }])
      sr.id = 'sr-given'
      const file = path.join(dir, 'with-id.json')
      writeFileSync(file, JSON.stringify(sr))
      const r = await run(['triage', file, '--on', '2026-11-20'])
      expect(r.code, r.err.join('\n')).toBe(0)
      expect(task(r.out).basedOn).toStrictEqual([{ reference: 'ServiceRequest/sr-given' }])
      const bundle = await run(['triage', 'fixtures/bundles/greater-manchester-transaction.json', '--on', '2026-11-20'])
      expect(task(bundle.out).for).toStrictEqual({ reference: 'Patient/preview-1', type: 'Patient' })
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })

  it('triages a request whose validation gives warnings only', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'workwell-cli-warn-'))
    try {
      const sr = JSON.parse(JSON.stringify((await import('../../../fixtures/referrals/north-central-london/gp-referral.json', { with: { type: 'json' } })).default)) as { meta?: { profile?: string[] } }
      // a profile the gateway does not know is a warning, not an error
      sr.meta = { ...sr.meta, profile: [...(sr.meta?.profile ?? []), 'http://example.org/StructureDefinition/unknown'] }
      const file = path.join(dir, 'warned.json')
      writeFileSync(file, JSON.stringify(sr))
      const r = await run(['triage', file, '--on', '2026-11-20'])
      expect(r.err).toStrictEqual([])
      expect(r.code).toBe(0)
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })
})

describe('workwell triage FILE: the configured grace period', () => {
  it('holds triage once the rules are past their review date by more than WORKWELL_RULES_REVIEW_GRACE_DAYS', async () => {
    const before = process.env.WORKWELL_RULES_REVIEW_GRACE_DAYS
    const ncl = 'fixtures/referrals/north-central-london/gp-referral.json'
    try {
      // the rules' review date is 2027-05-31: ten days on is inside the default 30-day grace
      delete process.env.WORKWELL_RULES_REVIEW_GRACE_DAYS
      expect(task((await run(['triage', ncl, '--on', '2027-06-10'])).out).businessStatus?.coding?.[0]?.code).toBe('eligible-refer')
      process.env.WORKWELL_RULES_REVIEW_GRACE_DAYS = '5'
      expect(task((await run(['triage', ncl, '--on', '2027-06-10'])).out).businessStatus?.coding?.[0]?.code).toBe('needs-information')
    } finally {
      if (before === undefined) delete process.env.WORKWELL_RULES_REVIEW_GRACE_DAYS
      else process.env.WORKWELL_RULES_REVIEW_GRACE_DAYS = before
    }
  })
})
