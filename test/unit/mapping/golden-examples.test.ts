import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { findGoldenExamples, goldenMapInput, renderExpected } from '../../../src/mapping/golden-examples.ts'
import type { GoldenInput } from '../../../src/mapping/golden-examples.ts'
import { loadMapping } from '../../../src/mapping/load-mapping.ts'
import { mapReferral } from '../../../src/mapping/map-referral.ts'
import type { Mapping } from '../../../src/mapping/mapping.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'

const MAPPINGS = fileURLToPath(new URL('../../../mappings', import.meta.url))
const examples = await findGoldenExamples(MAPPINGS)
const partnerships = await loadPartnerships(MAPPINGS)
const mappings = new Map<string, Mapping>()
for (const id of partnerships.keys()) mappings.set(id, await loadMapping(join(MAPPINGS, id)))

const readInput = (file: string): GoldenInput => JSON.parse(readFileSync(file, 'utf8')) as GoldenInput

describe('golden examples (mappings/<id>/examples/; regenerate with node scripts/update-golden.ts)', () => {
  it('every partnership has at least two, one of them transaction-style (resources stored separately)', () => {
    for (const id of partnerships.keys()) {
      const own = examples.filter((e) => e.partnershipId === id)
      expect(own.length, id).toBeGreaterThanOrEqual(2)
      expect(own.some((e) => (readInput(e.inputFile).resources ?? []).length > 0), `${id} transaction-style`).toBe(true)
    }
  })

  it.each(examples.map((e) => [`${e.partnershipId}/${e.name}`, e] as const))('%s maps to its expected output', (_label, example) => {
    const mapping = mappings.get(example.partnershipId)
    if (mapping === undefined) throw new Error(`no mapping for ${example.partnershipId}`)
    const input = readInput(example.inputFile)
    // the Task is the one triage gave this referral, owned by this partnership
    expect(input.task.owner?.reference).toBe(`Organization/${example.partnershipId}`)
    const expected = readFileSync(example.expectedFile(mapping.format), 'utf8')
    const result = mapReferral(mapping, goldenMapInput(input))
    expect(renderExpected(result, mapping.format)).toBe(expected)
  })
})

describe('golden example helpers', () => {
  it('renders JSON formats pretty-printed with a final newline and CSV byte for byte', () => {
    expect(renderExpected({ ok: true, contentType: 'application/json', body: '{"b":1,"a":[2]}' }, 'json-record'))
      .toBe('{\n  "b": 1,\n  "a": [\n    2\n  ]\n}\n')
    expect(renderExpected({ ok: true, contentType: 'text/csv', body: 'a,b\r\n1,2\r\n' }, 'csv')).toBe('a,b\r\n1,2\r\n')
  })

  it('refuses a failed mapping, naming the missing fields', () => {
    expect(() => renderExpected({ ok: false, missing: ['nhsNumber'] }, 'csv')).toThrow('missing required field(s) nhsNumber')
  })

  it('refuses an input without its ServiceRequest or Task', () => {
    expect(() => goldenMapInput({ serviceRequest: { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: {} } } as GoldenInput))
      .toThrow('needs a ServiceRequest')
  })
})
