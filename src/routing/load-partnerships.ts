import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { compileStartUpCheck } from '../start-up-schema.ts'
import type { Partnership } from './partnership.ts'

/** The shape of mappings/<id>/partnership.json. */
export const partnershipSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'leadIcbs', 'practices', 'postcodeDistricts', 'delivery', 'sources'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
    name: { type: 'string', minLength: 1 },
    leadIcbs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['odsCode', 'name', 'from'],
        properties: {
          odsCode: { type: 'string', pattern: '^[A-Z0-9]{3,5}$' },
          name: { type: 'string' },
          from: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
          to: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }
        }
      }
    },
    practices: { type: 'array', items: { type: 'string', pattern: '^[A-Z][0-9]{5}$' } },
    postcodeDistricts: { type: 'array', items: { type: 'string', pattern: '^[A-Z]{1,2}[0-9][A-Z0-9]?$' } },
    delivery: {
      type: 'object',
      additionalProperties: false,
      required: ['endpoint', 'format', 'maxAttempts'],
      properties: {
        // an http(s) URL to POST to; for csv also a daily file drop folder: file:///abs/dir, or dir/sub inside the data folder
        endpoint: { type: 'string', pattern: '^(https?://|file:///|[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)*/?$)' },
        format: { enum: ['fhir-bundle', 'json-record', 'csv'] },
        maxAttempts: { type: 'integer', minimum: 1, maximum: 100 },
        retryWindowHours: { type: 'number', exclusiveMinimum: 0, maximum: 720 }
      }
    },
    sources: { type: 'array', items: { type: 'string' } }
  }
} as const

/**
 * Reads every mappings/<id>/partnership.json, checks it, and applies endpoint overrides
 * (WORKWELL_PARTNER_URL_<ID>). A bad file stops the start with a message naming it.
 */
export async function loadPartnerships (mappingsDir: string, partnerUrls: Record<string, string> = {}): Promise<Map<string, Partnership>> {
  const check = compileStartUpCheck<Partnership>(partnershipSchema)
  const out = new Map<string, Partnership>()
  const entries = await readdir(mappingsDir, { withFileTypes: true })
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(mappingsDir, entry.name, 'partnership.json')
    let data: unknown
    try {
      data = JSON.parse(await readFile(file, 'utf8'))
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`)
    }
    if (!check.validate(data)) {
      throw new Error(`${file}: ${check.errorsText()}`)
    }
    const partnership = data as unknown as Partnership
    if (partnership.id !== entry.name) {
      throw new Error(`${file}: id "${partnership.id}" differs from its folder name "${entry.name}"`)
    }
    const override = partnerUrls[partnership.id]
    if (override !== undefined) {
      partnership.delivery = { ...partnership.delivery, endpoint: override }
    }
    out.set(partnership.id, partnership)
  }
  for (const id of Object.keys(partnerUrls)) {
    if (!out.has(id)) {
      throw new Error(`WORKWELL_PARTNER_URL_${id.toUpperCase().replaceAll('-', '_')}: no partnership "${id}" under ${mappingsDir}`)
    }
  }
  return out
}
