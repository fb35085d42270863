import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Bundle, ServiceRequest, Task } from '@medplum/fhirtypes'
import { main } from '../../../src/cli.ts'
import type { GoldenInput } from '../../../src/mapping/golden-examples.ts'

const REPO = path.resolve(import.meta.dirname, '../../..')
const repo = (p: string): string => path.join(REPO, p)
const tmp = mkdtempSync(path.join(tmpdir(), 'map-command-'))
afterAll(() => { rmSync(tmp, { recursive: true, force: true }) })

/** Writes JSON (or text) to a temporary file and returns its path. */
function file (name: string, content: unknown): string {
  const p = path.join(tmp, name)
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content))
  return p
}

const example = (partnershipId: string, name: string): GoldenInput =>
  JSON.parse(readFileSync(repo(`mappings/${partnershipId}/examples/${name}.input.json`), 'utf8')) as GoldenInput

async function run (args: string[]): Promise<{ code: number, out: string, err: string }> {
  const out: string[] = []
  const err: string[] = []
  const cwd = process.cwd()
  process.chdir(REPO)
  try {
    const code = await main(['map', ...args], (l) => out.push(l), (l) => err.push(l))
    return { code, out: out.join('\n'), err: err.join('\n') }
  } finally { process.chdir(cwd) }
}

describe('workwell map PARTNERSHIP FILE --task TASK', () => {
  it('prints a json-record as the golden example expects it, pretty-printed', async () => {
    const input = example('frimley', 'gp-referral')
    const r = await run(['frimley', file('frimley-sr.json', input.serviceRequest), '--task', file('frimley-task.json', input.task)])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(`${r.out}\n`).toBe(readFileSync(repo('mappings/frimley/examples/gp-referral.expected.json'), 'utf8'))
  })

  it('prints CSV rows as the golden example expects them (the option may come first)', async () => {
    const input = example('herefordshire-and-worcestershire', 'fit-note')
    const r = await run(['--task', file('hw-task.json', input.task), 'herefordshire-and-worcestershire', file('hw-sr.json', input.serviceRequest)])
    expect(r.code).toBe(0)
    expect(`${r.out}\r\n`).toBe(readFileSync(repo('mappings/herefordshire-and-worcestershire/examples/fit-note.expected.csv'), 'utf8'))
  })

  it('maps a transaction Bundle with its separate resources inlined, as the worker does', async () => {
    const input = example('cornwall-and-isles-of-scilly', 'transaction')
    const r = await run(['cornwall-and-isles-of-scilly', repo('fixtures/bundles/cornwall-and-isles-of-scilly-transaction.json'), '--task', file('cios-task.json', input.task)])
    expect(r.code).toBe(0)
    const record = JSON.parse(r.out) as Record<string, unknown>
    const expected = JSON.parse(readFileSync(repo('mappings/cornwall-and-isles-of-scilly/examples/transaction.expected.json'), 'utf8')) as Record<string, unknown>
    // the same record but for the ids the preview assigns, and the reference only intake gives
    expect(record.referral_reference).toBeNull()
    expect({ ...record, referral_id: expected.referral_id, referral_reference: expected.referral_reference }).toStrictEqual(expected)
  })

  it('exits 1 naming the required fields the referral cannot fill, and prints nothing', async () => {
    const input = example('black-country', 'gp-referral')
    const sr = structuredClone(input.serviceRequest)
    const patient = sr.contained?.find((r) => r.resourceType === 'Patient')
    if (patient?.resourceType !== 'Patient') throw new Error('fixture changed')
    delete patient.identifier
    delete patient.birthDate
    const r = await run(['black-country', file('bc-sr.json', sr), '--task', file('bc-task.json', input.task)])
    expect(r.code).toBe(1)
    expect(r.out).toBe('')
    expect(r.err).toBe('cannot map for black-country: missing required field(s) nhsNumber, birthDate')
  })

  it('exits 1 when the mapping cannot be applied to the referral (two NHS numbers)', async () => {
    const input = example('north-central-london', 'gp-referral')
    const sr = structuredClone(input.serviceRequest)
    const patient = sr.contained?.find((r) => r.resourceType === 'Patient')
    if (patient?.resourceType !== 'Patient') throw new Error('fixture changed')
    patient.identifier?.push({ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' })
    const r = await run(['north-central-london', file('ncl-sr.json', sr), '--task', file('ncl-task.json', input.task)])
    expect(r.code).toBe(1)
    expect(r.err).toContain("field 'nhsNumber': yields 2 values")
  })
})

describe('workwell map without --task (triaged as the gateway would)', () => {
  it('builds the Task with the triage pipeline and maps the referral into a UK Core Bundle', async () => {
    const r = await run(['greater-manchester', repo('fixtures/referrals/greater-manchester/gp-referral.json')])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const bundle = JSON.parse(r.out) as Bundle
    const task = bundle.entry?.at(-1)?.resource as Task
    expect(task.resourceType).toBe('Task')
    expect(task.owner?.reference).toBe('Organization/greater-manchester')
    expect(task.businessStatus?.coding?.[0]?.code).toBeDefined()
    const sr = bundle.entry?.[0]?.resource as ServiceRequest
    expect(sr.id).toBe('preview')
    expect(sr.meta?.profile).toContain('https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest')
  })

  it('says so when the referral would route to another partnership, and maps it for the one asked', async () => {
    const r = await run(['frimley', repo('fixtures/referrals/north-central-london/gp-referral.json')])
    expect(r.code).toBe(0)
    expect(r.err).toBe('note: the referral routes to north-central-london, not frimley')
    expect(JSON.parse(r.out)).toMatchObject({ partnershipId: 'frimley', nhsNumber: '9912003888' })
  })
})

describe('workwell map: usage errors exit 2', () => {
  const sr = repo('fixtures/referrals/frimley/gp-referral.json')
  it.each([
    ['no arguments', [], 'expected a partnership id and one file'],
    ['no file', ['frimley'], 'expected a partnership id and one file'],
    ['two files', ['frimley', sr, sr], 'expected a partnership id and one file'],
    ['an unknown option', ['frimley', sr, '--send'], 'unknown option --send'],
    ['--task without a file', ['frimley', sr, '--task'], '--task needs a file'],
    ['an unknown partnership', ['atlantis', sr], "unknown partnership 'atlantis'"],
    ['a missing file', ['frimley', path.join(tmp, 'nowhere.json')], 'cannot read'],
    ['a file that is not JSON', ['frimley', file('not-json.json', '{ nope')], 'is not JSON'],
    ['a file that is not a referral', ['frimley', file('patient.json', { resourceType: 'Patient' })], 'FILE must be a ServiceRequest or a transaction Bundle'],
    ['a task file that is not a Task', ['frimley', sr, '--task', sr], 'is not a Task'],
    ['a Bundle that is not a referral transaction', ['frimley', file('batch.json', { resourceType: 'Bundle', type: 'batch', entry: [] })], 'not a referral transaction']
  ])('%s', async (_label, args, message) => {
    const r = await run(args)
    expect(r.code).toBe(2)
    expect(r.out).toBe('')
    expect(r.err).toContain(message)
    expect(r.err).toContain('usage: workwell map PARTNERSHIP FILE [--task TASK]')
  })
})
