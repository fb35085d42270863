import { readFileSync } from 'node:fs'
import type { TaskInput } from '@medplum/fhirtypes'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { describeLink, flagDuplicates, POSSIBLE_DUPLICATE, REFERRAL_LINK_SYSTEM } from '../../../src/intake/duplicate-referrals.ts'
import type { DuplicateLink } from '../../../src/intake/duplicate-referrals.ts'
import { goldenMapInput } from '../../../src/mapping/golden-examples.ts'
import type { GoldenInput } from '../../../src/mapping/golden-examples.ts'
import { loadMapping } from '../../../src/mapping/load-mapping.ts'
import { mapReferral } from '../../../src/mapping/map-referral.ts'
import type { MapInput, Mapping, MappingField } from '../../../src/mapping/mapping.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'

/**
 * The flat formats carry the possible-duplicate flag (docs/hazard-log.md H18): a partnership
 * that gets a json-record or a CSV row sees each earlier referral of the same person, as the
 * FHIR Bundle partnerships see the Task.input. Every such mapping under mappings/ is checked.
 */
const MAPPINGS = fileURLToPath(new URL('../../../mappings', import.meta.url))
const flat: Mapping[] = []
for (const id of (await loadPartnerships(MAPPINGS)).keys()) {
  const mapping = await loadMapping(join(MAPPINGS, id))
  if (mapping.format !== 'fhir-bundle') flat.push(mapping)
}

const LINKS: DuplicateLink[] = [
  { taskId: 't-1', acceptedOn: '2026-11-02', reference: 'WW-AAAAA-BBBBB', partnershipId: 'p', otherPartnership: false, samePractice: true },
  { taskId: 't-2', acceptedOn: '2026-11-10', partnershipId: 'greater-manchester', otherPartnership: true, samePractice: false }
]
const EXPECTED = LINKS.map(describeLink)

/** A Task.input that is not a link: another code of the same system, with a string value. */
const OTHER_INPUT: TaskInput = { type: { coding: [{ system: REFERRAL_LINK_SYSTEM, code: 'superseded' }] }, valueString: 'not a duplicate' }

/** The partnership's golden GP referral, its Task flagged with the links after another input. */
function referral (partnershipId: string, links: DuplicateLink[]): MapInput {
  const file = join(MAPPINGS, partnershipId, 'examples', 'gp-referral.input.json')
  const input = goldenMapInput(JSON.parse(readFileSync(file, 'utf8')) as GoldenInput)
  const task = { ...input.task, input: [...(input.task.input ?? []), OTHER_INPUT] }
  return { ...input, task: flagDuplicates(task, links, 28, '2026-11-21T09:00:00.000Z') }
}

/** The one field of a mapping that reads the possible-duplicate inputs. */
function flagField (mapping: Mapping): MappingField {
  const fields = mapping.fields.filter((f) => f.path.includes(`code='${POSSIBLE_DUPLICATE}'`))
  expect(fields.map((f) => f.name), mapping.partnershipId).toHaveLength(1)
  return fields[0]!
}

/** The cells of an RFC 4180 CSV body (quoted cells may hold commas and doubled quotes). */
function csvCells (body: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') { cell += '"'; i++ } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') { row.push(cell); cell = '' } else if (c === '\r' && body[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++ } else cell += c
  }
  return rows
}

/** The field's value in the mapped output: an array in a json-record, ';'-joined in a CSV. */
function mapped (mapping: Mapping, links: DuplicateLink[]): unknown {
  const result = mapReferral(mapping, referral(mapping.partnershipId, links))
  if (!result.ok) throw new Error(`${mapping.partnershipId}: missing ${result.missing.join(', ')}`)
  const name = flagField(mapping).name
  if (mapping.format === 'json-record') return (JSON.parse(result.body) as Record<string, unknown>)[name]
  const [header, row] = csvCells(result.body)
  expect(header).toContain(name)
  return row?.[header?.indexOf(name) ?? -1]
}

describe('the possible-duplicate flag in the json-record and csv formats', () => {
  it('covers both flat formats', () => {
    expect(new Set(flat.map((m) => m.format))).toEqual(new Set(['json-record', 'csv']))
  })

  it.each(flat.map((m) => [m.partnershipId, m] as const))('%s: a Task with two possible-duplicate inputs maps to both', (_id, mapping) => {
    const field = flagField(mapping)
    expect(field.required).not.toBe(true)
    expect(mapped(mapping, LINKS)).toEqual(mapping.format === 'json-record' ? EXPECTED : EXPECTED.join(';'))
  })

  it.each(flat.map((m) => [m.partnershipId, m] as const))('%s: no link, no value (and other Task inputs are not read as links)', (_id, mapping) => {
    const noLinks = mapped(mapping, [])
    expect(noLinks).toEqual(mapping.format === 'json-record' ? [] : '')
  })
})
