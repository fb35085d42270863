import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO } from '../../helpers/gateway.ts'

/**
 * Every partnership's format carries the referral reference the GP gave the patient, so the
 * partnership can quote it on the phone: the golden examples (made from the mapping files by
 * scripts/update-golden.ts and checked against them by golden-examples.test.ts) hold the
 * reference of their input referral.
 */
describe('the referral reference in every partnership format', () => {
  const partnerships = readdirSync(path.join(REPO, 'mappings'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)

  it.each(partnerships)('%s: each example output carries its input\'s reference', (partnership) => {
    const dir = path.join(REPO, 'mappings', partnership, 'examples')
    const inputs = readdirSync(dir).filter((f) => f.endsWith('.input.json'))
    expect(inputs.length).toBeGreaterThan(0)
    for (const input of inputs) {
      const example = JSON.parse(readFileSync(path.join(dir, input), 'utf8')) as { serviceRequest: { identifier?: Array<{ system?: string, value?: string }> } }
      const reference = example.serviceRequest.identifier?.find((i) => i.system === 'https://fhir.workwell.example/Id/referral-reference')?.value
      expect(reference, input).toMatch(/^WW-[0-9A-Z]{5}-[0-9A-Z]{5}$/)
      const name = input.replace('.input.json', '')
      const output = readdirSync(dir).find((f) => f.startsWith(`${name}.expected.`))
      expect(output, input).toBeDefined()
      expect(readFileSync(path.join(dir, output ?? ''), 'utf8'), `${partnership}/${name}`).toContain(reference)
    }
  })
})
