import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { OperationOutcome } from '@medplum/fhirtypes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli.ts'
import { parseValidateArgs } from '../../src/validation-command.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const fixture = (relative: string): string => join(ROOT, relative)
const GP_REFERRAL = fixture('fixtures/referrals/greater-manchester/gp-referral.json')
const BAD_NHS = fixture('fixtures/invalid/bad-nhs-number-check-digit.json')
const PARTNER_PROFILE = 'https://partner.example.org/fhir/StructureDefinition/Partner-Referral'
const PARTNER_PATIENT = 'https://partner.example.org/fhir/StructureDefinition/Partner-Patient'

async function run (args: string[]): Promise<{ code: number, out: string[], err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(['validate', ...args], (l) => out.push(l), (l) => err.push(l))
  return { code, out, err }
}

const outcomes = (lines: string[]): OperationOutcome[] => lines.map((l) => JSON.parse(l) as OperationOutcome)
const expressions = (o: OperationOutcome | undefined): string[] => (o?.issue ?? []).flatMap((i) => i.expression ?? [])

let work: string
let igDir: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'workwell-validate-test-'))
  igDir = join(work, 'ig')
  await mkdir(join(igDir, 'package'), { recursive: true })
  // A partner's IG: a differential-only profile on the WorkWell referral, one on base R4 with a
  // slice of a backbone element, its terminology, and files that are not conformance resources.
  await writeFile(join(igDir, 'package', 'StructureDefinition-Partner-Referral.json'), JSON.stringify({
    resourceType: 'StructureDefinition',
    url: PARTNER_PROFILE,
    name: 'PartnerReferral',
    status: 'draft',
    kind: 'resource',
    abstract: false,
    type: 'ServiceRequest',
    baseDefinition: 'https://fhir.workwell.example/StructureDefinition/WorkWell-Referral',
    derivation: 'constraint',
    differential: { element: [{ id: 'ServiceRequest.priority', path: 'ServiceRequest.priority', min: 1 }] }
  }))
  await writeFile(join(igDir, 'Partner-Patient.json'), JSON.stringify({
    resourceType: 'StructureDefinition',
    url: PARTNER_PATIENT,
    name: 'PartnerPatient',
    status: 'draft',
    kind: 'resource',
    abstract: false,
    type: 'Patient',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
    derivation: 'constraint',
    // no element ids: older hand-written profiles name elements by path only
    differential: {
      element: [
        { path: 'Patient.gender', min: 1 },
        { path: 'Patient.contact', slicing: { discriminator: [{ type: 'value', path: 'gender' }], rules: 'open' } },
        { path: 'Patient.contact', sliceName: 'female', max: '1' },
        { path: 'Patient.contact.gender', min: 1, fixedCode: 'female' }
      ]
    }
  }))
  await writeFile(join(igDir, 'CodeSystem-partner.json'), JSON.stringify({
    resourceType: 'CodeSystem', url: 'https://partner.example.org/fhir/CodeSystem/partner', status: 'draft', content: 'complete', concept: [{ code: 'a' }]
  }))
  await writeFile(join(igDir, 'ValueSet-partner.json'), JSON.stringify({
    resourceType: 'ValueSet', url: 'https://partner.example.org/fhir/ValueSet/partner', status: 'draft', compose: { include: [{ system: 'https://partner.example.org/fhir/CodeSystem/partner' }] }
  }))
  await writeFile(join(igDir, 'package.json'), JSON.stringify({ name: 'partner.ig', version: '1.0.0' }))
  await writeFile(join(igDir, 'broken.json'), '{ not json')
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

async function writeResource (name: string, resource: unknown): Promise<string> {
  const file = join(work, name)
  await writeFile(file, JSON.stringify(resource))
  return file
}

async function partnerReferral (over: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { readFile } = await import('node:fs/promises')
  const sr = JSON.parse(await readFile(GP_REFERRAL, 'utf8')) as Record<string, unknown>
  return { ...sr, meta: { profile: [PARTNER_PROFILE] }, ...over }
}

describe('workwell validate FILE...', () => {
  it('prints one OperationOutcome per file and exits 0 when all are valid', async () => {
    const r = await run([GP_REFERRAL, fixture('fixtures/referrals/frimley/fit-note-triage.json')])
    expect(r.code).toBe(0)
    const [first, second] = outcomes(r.out)
    expect(r.out).toHaveLength(2)
    expect(first?.resourceType).toBe('OperationOutcome')
    expect(first?.text?.div).toContain(`${GP_REFERRAL}: valid`)
    expect(second?.text?.div).toContain('fit-note-triage.json: valid')
    expect(first?.issue.every((i) => i.severity !== 'error' && i.severity !== 'fatal')).toBe(true)
  })

  it('exits 1 when any file is invalid, with the expression of the offending element', async () => {
    const r = await run([GP_REFERRAL, BAD_NHS])
    expect(r.code).toBe(1)
    const [ok, bad] = outcomes(r.out)
    expect(ok?.text?.div).toContain(': valid')
    expect(bad?.text?.div).toMatch(/invalid, \d+ errors?/)
    expect(expressions(bad)).toContain('ServiceRequest.contained[0].identifier[0].value')
  })

  it('applies the WorkWell profile a resource claims in meta.profile', async () => {
    const file = await writeResource('fit-note.json', {
      resourceType: 'Observation',
      meta: { profile: ['https://fhir.workwell.example/StructureDefinition/WorkWell-FitNote'] },
      status: 'final',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '751481000000104' }] },
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2026-11-16'
    })
    const r = await run([file])
    expect(r.code).toBe(1)
    expect(expressions(outcomes(r.out)[0])).toEqual(expect.arrayContaining(['Observation.effective', 'Observation.issued', 'Observation.value']))
  })

  it('reports a file that is not JSON as invalid, in its OperationOutcome', async () => {
    const file = join(work, 'not-json.json')
    await writeFile(file, '{"resourceType": ')
    const r = await run([file, GP_REFERRAL])
    expect(r.code).toBe(1)
    const [bad, ok] = outcomes(r.out)
    expect(bad?.issue[0]?.severity).toBe('fatal')
    expect(bad?.issue[0]?.diagnostics).toContain('not JSON')
    expect(ok?.text?.div).toContain(': valid')
  })
})

describe('workwell validate --ig DIR', () => {
  it('applies a differential-only profile from the folder, given a snapshot on top of WorkWell-Referral', async () => {
    const withoutPriority = await writeResource('partner-no-priority.json', await partnerReferral({ priority: undefined }))
    const r = await run(['--ig', igDir, withoutPriority])
    expect(r.code).toBe(1)
    const [o] = outcomes(r.out)
    expect(expressions(o)).toContain('ServiceRequest.priority')
    // the partner profile derives from WorkWell-Referral, so that profile's rules apply too
    const noSource = await writeResource('partner-no-source.json', await partnerReferral({ category: [{ text: 'GP' }] }))
    const again = await run(['--ig', igDir, noSource])
    expect(again.code).toBe(1)
    expect(expressions(outcomes(again.out)[0])).toContain('ServiceRequest.category')
  })

  it('accepts a resource that meets the folder\'s profile, and names the files it skipped', async () => {
    const file = await writeResource('partner-ok.json', await partnerReferral({}))
    const r = await run([`--ig=${igDir}`, file])
    expect(r.code).toBe(0)
    expect(outcomes(r.out)[0]?.issue.some((i) => i.code === 'not-supported')).toBe(false)
    expect(r.err.join('\n')).toContain('broken.json: not JSON')
  })

  it('without --ig, the same claim is an unknown profile: a warning, not a verdict', async () => {
    const file = await writeResource('partner-no-priority-2.json', await partnerReferral({ priority: undefined }))
    const r = await run([file])
    expect(r.code).toBe(0)
    const [o] = outcomes(r.out)
    expect(o?.issue.some((i) => i.severity === 'warning' && i.code === 'not-supported')).toBe(true)
    expect(expressions(o)).not.toContain('ServiceRequest.priority')
  })

  it('generates snapshots for profiles without element ids and with a slice of a backbone element', async () => {
    const patient = (contact: unknown[]): unknown => ({
      resourceType: 'Patient', meta: { profile: [PARTNER_PATIENT] }, gender: 'female', contact
    })
    const ok = await writeResource('partner-patient-ok.json', patient([{ gender: 'female', name: { family: 'A' } }]))
    const twoFemale = await writeResource('partner-patient-bad.json', patient([{ gender: 'female', name: { family: 'A' } }, { gender: 'female', name: { family: 'B' } }]))
    const noGender = await writeResource('partner-patient-no-gender.json', { resourceType: 'Patient', meta: { profile: [PARTNER_PATIENT] } })
    const r = await run(['--ig', igDir, ok, twoFemale, noGender])
    expect(r.code).toBe(1)
    const [a, b, c] = outcomes(r.out)
    expect(a?.text?.div).toContain(': valid')
    expect(expressions(b)).toContain('Patient.contact')
    expect(expressions(c)).toContain('Patient.gender')
  })
})

describe('workwell validate --profile URL', () => {
  it('checks every file against the profile named, as $validate does', async () => {
    const triage = fixture('fixtures/referrals/frimley/fit-note-triage.json')
    const fitNoteTriage = 'https://fhir.workwell.example/StructureDefinition/WorkWell-FitNoteTriageRequest'
    expect((await run(['--profile', fitNoteTriage, triage])).code).toBe(0)
    const { readFile } = await import('node:fs/promises')
    const noReason = await writeResource('triage-no-reason.json', { ...JSON.parse(await readFile(triage, 'utf8')) as Record<string, unknown>, reasonCode: undefined })
    expect((await run([noReason])).code).toBe(0)
    const r = await run(['--profile', fitNoteTriage, noReason])
    expect(r.code).toBe(1)
    expect(expressions(outcomes(r.out)[0])).toContain('ServiceRequest.reasonCode')
    const unknown = await run(['--profile', 'https://x.example/StructureDefinition/none', triage])
    expect(unknown.code).toBe(1)
    expect(outcomes(unknown.out)[0]?.issue[0]?.code).toBe('not-supported')
  })
})

describe('workwell validate usage errors (exit 2)', () => {
  it.each([
    [[], 'no FILE'],
    [['--ig'], '--ig needs a folder'],
    [['--profile', GP_REFERRAL], 'no FILE'],
    [['--profile'], '--profile needs a canonical URL'],
    [['--strict', GP_REFERRAL], 'unknown option --strict'],
    [[join(ROOT, 'no-such-file.json')], 'not a readable file'],
    [['--ig', join(ROOT, 'no-such-folder'), GP_REFERRAL], 'cannot read the folder']
  ])('%j', async (args, message) => {
    const r = await run(args)
    expect(r.code).toBe(2)
    expect(r.out).toStrictEqual([])
    expect(r.err.join('\n')).toContain(message)
  })

  it('refuses an IG that redefines a WorkWell canonical URL, or whose base cannot be found', async () => {
    const clash = join(work, 'clash')
    await mkdir(clash)
    await writeFile(join(clash, 'vs.json'), JSON.stringify({ resourceType: 'ValueSet', url: 'https://fhir.workwell.example/ValueSet/referral-source', status: 'draft' }))
    const r = await run(['--ig', clash, GP_REFERRAL])
    expect(r.code).toBe(2)
    expect(r.err.join('\n')).toContain('WorkWell definition already')

    const orphan = join(work, 'orphan')
    await mkdir(orphan)
    await writeFile(join(orphan, 'sd.json'), JSON.stringify({
      resourceType: 'StructureDefinition',
      url: 'https://x.example/StructureDefinition/o',
      kind: 'resource',
      type: 'Patient',
      baseDefinition: 'https://x.example/StructureDefinition/missing',
      derivation: 'constraint',
      differential: { element: [] }
    }))
    const o = await run(['--ig', orphan, GP_REFERRAL])
    expect(o.code).toBe(2)
    expect(o.err.join('\n')).toContain('Cannot resolve base definition https://x.example/StructureDefinition/missing')
  })
})

describe('parseValidateArgs', () => {
  it('takes --ig any number of times, in order, and files after --', () => {
    expect(parseValidateArgs(['--ig', 'a', 'f1', '--ig=b', '--', '--odd-name.json'])).toStrictEqual({ igDirs: ['a', 'b'], files: ['f1', '--odd-name.json'] })
  })
})
