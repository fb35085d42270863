import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli.ts'

const REPO = path.resolve(import.meta.dirname, '../..')
const fixture = (p: string): string => path.join(REPO, p)

async function run (args: string[]): Promise<{ code: number, out: string[], err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const cwd = process.cwd()
  process.chdir(REPO)
  try {
    const code = await main(args, (l) => out.push(l), (l) => err.push(l))
    return { code, out, err }
  } finally { process.chdir(cwd) }
}

describe('workwell CLI', () => {
  it('lists the 15 partnerships with their formats', async () => {
    const r = await run(['partnerships'])
    expect(r.code).toBe(0)
    expect(r.out).toHaveLength(15)
    expect(r.out.find((l) => l.startsWith('north-central-london\t'))).toContain('fhir-bundle')
  })

  it('prints the BaRS Endpoint Catalogue entries of a partnership, and the usage for an unknown one', async () => {
    const r = await run(['catalogue', 'greater-manchester'])
    expect(r.code, r.err.join('\n')).toBe(0)
    const types = (JSON.parse(r.out.join('\n')) as { entry: Array<{ resource: { resourceType: string } }> }).entry.map((e) => e.resource.resourceType)
    // greater-manchester offers two BaRS services (partnership.json barsServices): one pair each
    expect(types).toEqual(['Organization', 'HealthcareService', 'Endpoint', 'HealthcareService', 'Endpoint'])
    const single = await run(['catalogue', 'frimley'])
    expect((JSON.parse(single.out.join('\n')) as { entry: Array<{ resource: { resourceType: string } }> }).entry.map((e) => e.resource.resourceType)).toEqual(['Organization', 'HealthcareService', 'Endpoint'])
    const unknown = await run(['catalogue', 'atlantis'])
    expect(unknown.code).toBe(2)
    expect(unknown.err.join('\n')).toContain('usage: workwell catalogue PARTNERSHIP')
  })

  it('validates files: 0 for valid, 1 with the element path for invalid', async () => {
    const ok = await run(['validate', fixture('fixtures/referrals/frimley/gp-referral.json')])
    expect(ok.code).toBe(0)
    expect(ok.out[0]).toContain('valid')
    const bad = await run(['validate', fixture('fixtures/invalid/bad-nhs-number-check-digit.json')])
    expect(bad.code).toBe(1)
    expect(bad.out.join('\n')).toContain('ServiceRequest.contained[0].identifier')
  })

  it('triages a referral without storing it and prints the Task', async () => {
    const r = await run(['triage', fixture('fixtures/referrals/greater-manchester/gp-referral.json')])
    expect(r.code).toBe(0)
    const task = JSON.parse(r.out.join('\n')) as { resourceType: string, owner: { reference: string } }
    expect(task.resourceType).toBe('Task')
    expect(task.owner.reference).toBe('Organization/greater-manchester')
  })

  it('prints usage and exits 2 for an unknown command', async () => {
    const r = await run(['frobnicate'])
    expect(r.code).toBe(2)
    expect(r.err.join('')).toContain('usage')
  })
})
