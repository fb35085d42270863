import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { loadMapping, loadMappings } from '../../../src/mapping/load-mapping.ts'
import { mapReferral } from '../../../src/mapping/map-referral.ts'
import { envelopeNames } from '../../../src/mapping/mapping.ts'
import { nclReferral } from './referral-fixture.ts'

const MAPPINGS = fileURLToPath(new URL('../../../mappings', import.meta.url))

const FORMATS = {
  'fhir-bundle': ['birmingham-and-solihull', 'coventry-and-warwickshire', 'greater-manchester', 'north-central-london', 'north-west-london', 'surrey-heartlands'],
  'json-record': ['black-country', 'bristol-north-somerset-and-south-gloucestershire', 'cornwall-and-isles-of-scilly', 'frimley', 'lancashire-and-south-cumbria', 'south-yorkshire'],
  csv: ['cambridgeshire-and-peterborough', 'herefordshire-and-worcestershire', 'leicester-leicestershire-and-rutland']
} as const

describe('the mappings under mappings/', () => {
  it('all 15 load, in the format fixed for their partnership', async () => {
    const ids = Object.values(FORMATS).flat()
    const mappings = await loadMappings(MAPPINGS, ids)
    expect(mappings.size).toBe(15)
    for (const [format, partnerships] of Object.entries(FORMATS)) {
      for (const id of partnerships) {
        expect(mappings.get(id)).toMatchObject({ partnershipId: id, format })
      }
    }
  })

  it('each maps the NCL referral; records start with the (possibly renamed) envelope, then the fields in order', async () => {
    const mappings = await loadMappings(MAPPINGS, Object.values(FORMATS).flat())
    for (const mapping of mappings.values()) {
      const result = mapReferral(mapping, nclReferral())
      expect(result.ok, mapping.partnershipId).toBe(true)
      if (!result.ok || mapping.format === 'fhir-bundle') continue
      const names = [...envelopeNames(mapping), ...mapping.fields.map((f) => f.name)]
      const envelope = ['sr-1', 'task-1', mapping.partnershipId]
      if (mapping.format === 'json-record') {
        const record = JSON.parse(result.body) as Record<string, unknown>
        expect(Object.keys(record), mapping.partnershipId).toEqual(names)
        expect(Object.values(record).slice(0, 3)).toEqual(envelope)
        expect(Object.values(record), mapping.partnershipId).toContain('9912003888')
      } else {
        const [header, row] = result.body.split('\r\n')
        expect(header, mapping.partnershipId).toBe(names.join(','))
        expect(row?.startsWith(`${envelope.join(',')},`)).toBe(true)
        expect(row?.split(','), mapping.partnershipId).toContain('9912003888')
      }
    }
  })

  it('differ per partnership: no two json-record or csv partnerships share a field layout', async () => {
    const mappings = await loadMappings(MAPPINGS, [...FORMATS['json-record'], ...FORMATS.csv])
    const layouts = [...mappings.values()].map((m) => [...envelopeNames(m), ...m.fields.map((f) => f.name)].join(','))
    expect(new Set(layouts).size).toBe(layouts.length)
    for (const m of mappings.values()) expect(m.description?.length ?? 0, m.partnershipId).toBeGreaterThan(40)
  })
})

describe('loadMapping: bad files', () => {
  // a test may write more than one file
  const roots: string[] = []
  afterEach(() => { for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true }) })

  const write = (content: string): string => {
    const root = mkdtempSync(join(tmpdir(), 'mapping-'))
    roots.push(root)
    const dir = join(root, 'some-partnership')
    mkdirSync(dir)
    writeFileSync(join(dir, 'mapping.json'), content)
    return dir
  }
  const file = (dir: string): string => join(dir, 'mapping.json')

  it('names the file when it is missing or not JSON', async () => {
    const dir = write('{ not json')
    await expect(loadMapping(dir)).rejects.toThrow(`${file(dir)}: cannot read mapping`)
    await expect(loadMapping(join(dir, 'nowhere'))).rejects.toThrow(join(dir, 'nowhere', 'mapping.json'))
  })

  it('names the file and the offending member when the shape is wrong', async () => {
    const dir = write(JSON.stringify({ format: 'xml', version: '1', fields: [{ name: 'a', path: 'id', extra: 1 }] }))
    const error = loadMapping(dir)
    await expect(error).rejects.toThrow(`${file(dir)}: invalid mapping`)
    await expect(error).rejects.toThrow('mapping/format must be equal to one of the allowed values')
    await expect(error).rejects.toThrow('must NOT have additional properties')
  })

  it('rejects envelope names, duplicate names and unknown %variables', async () => {
    await expect(loadMapping(write(JSON.stringify({ format: 'csv', version: '1', fields: [{ name: 'taskId', path: 'id' }] }))))
      .rejects.toThrow('must NOT be valid')
    await expect(loadMapping(write(JSON.stringify({ format: 'csv', version: '1', fields: [{ name: 'a', path: 'id' }, { name: 'a', path: 'id' }] }))))
      .rejects.toThrow("field name 'a' is used twice")
    await expect(loadMapping(write(JSON.stringify({ format: 'csv', version: '1', fields: [{ name: 'a', path: '%employer.name' }] }))))
      .rejects.toThrow("field 'a': ")
    await expect(loadMapping(write(JSON.stringify({ format: 'csv', version: '1', fields: [{ name: 'a', path: 'name.where(' }] }))))
      .rejects.toThrow("field 'a': ")
  })

  it('accepts snake_case and PascalCase names and envelope renames, but no clash between them, ignoring case', async () => {
    const ok = { format: 'csv', version: '1', envelope: { referralId: 'REFERRAL_ID' }, fields: [{ name: 'NHS_NUMBER', path: 'id' }, { name: 'Surname', path: 'id' }] }
    await expect(loadMapping(write(JSON.stringify(ok)))).resolves.toMatchObject({ envelope: { referralId: 'REFERRAL_ID' } })
    await expect(loadMapping(write(JSON.stringify({ ...ok, fields: [{ name: 'referral_id', path: 'id' }] }))))
      .rejects.toThrow("field name 'referral_id' is used twice (or is an envelope name)")
    await expect(loadMapping(write(JSON.stringify({ ...ok, fields: [{ name: 'surname', path: 'id' }, { name: 'SURNAME', path: 'id' }] }))))
      .rejects.toThrow("field name 'SURNAME' is used twice")
    await expect(loadMapping(write(JSON.stringify({ ...ok, envelope: { referralId: 'id', taskId: 'ID' } }))))
      .rejects.toThrow('the envelope names id, ID, partnershipId are not distinct')
    await expect(loadMapping(write(JSON.stringify({ ...ok, envelope: { caseId: 'x' } }))))
      .rejects.toThrow('must NOT have additional properties')
    await expect(loadMapping(write(JSON.stringify({ ...ok, fields: [{ name: 'has space', path: 'id' }] }))))
      .rejects.toThrow('must match pattern')
    await expect(loadMapping(write(JSON.stringify({ ...ok, fields: [{ name: '_x', path: 'id' }] }))))
      .rejects.toThrow('must match pattern')
  })

  it('takes the partnership id from the folder name', async () => {
    const dir = write(JSON.stringify({ format: 'fhir-bundle', version: '1', fields: [] }))
    await expect(loadMapping(dir)).resolves.toStrictEqual({ format: 'fhir-bundle', version: '1', fields: [], partnershipId: 'some-partnership' })
  })
})
