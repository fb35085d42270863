import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { compileStartUpCheck } from '../start-up-schema.ts'
import type { Config } from '../config.ts'
import type { OdsPractice } from './ods-practices.ts'
import { loadOdsPractices, practicesCommissionedBy } from './ods-practices.ts'
import type { Partnership } from './partnership.ts'

/** The shape of mappings/<id>/partnership.json. */
export const partnershipSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'version', 'reviewBy', 'leadIcbs', 'practices', 'postcodeDistricts', 'delivery', 'sources'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
    name: { type: 'string', minLength: 1 },
    version: { type: 'string', pattern: '^\\d{4}\\.\\d{1,2}\\.\\d+$' },
    reviewBy: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
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
    subIcbCodes: { type: 'array', items: { type: 'string', pattern: '^[A-Z0-9]{3,5}$' }, uniqueItems: true },
    postcodeDistricts: { type: 'array', items: { type: 'string', pattern: '^[A-Z]{1,2}[0-9][A-Z0-9]?$' } },
    straddlingDistricts: { type: 'array', items: { type: 'string', pattern: '^[A-Z]{1,2}[0-9][A-Z0-9]?$' }, uniqueItems: true },
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
    barsServices: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['serviceId', 'kind'],
        properties: {
          serviceId: { type: 'string', pattern: '^[a-z][a-z0-9+.-]*:[^|\\s]+\\|[^|\\s]+$' },
          kind: { enum: ['referral', 'fit-note-triage'] },
          name: { type: 'string', minLength: 1 }
        }
      }
    },
    sources: { type: 'array', items: { type: 'string' } }
  }
} as const

/**
 * Reads every mappings/<id>/partnership.json, checks it, and applies endpoint overrides
 * (WORKWELL_PARTNER_URL_<ID>). A bad file stops the start with a message naming it. With ODS
 * practices (the epraccur file), each partnership's practices become its listed ones plus every
 * active practice its sub-ICB locations commission, so "registered with a GP here" no longer
 * rests on a hand-kept list (docs/hazard-log.md H15).
 */
export async function loadPartnerships (mappingsDir: string, partnerUrls: Record<string, string> = {}, ods?: ReadonlyMap<string, OdsPractice>): Promise<Map<string, Partnership>> {
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
    const straddling = (data as unknown as Partnership).straddlingDistricts ?? []
    const unknown = straddling.filter((d) => !(data as unknown as Partnership).postcodeDistricts.includes(d))
    if (unknown.length > 0) throw new Error(`${file}: straddlingDistricts ${unknown.join(', ')} are not in postcodeDistricts`)
    const partnership = data as unknown as Partnership
    if (partnership.id !== entry.name) {
      throw new Error(`${file}: id "${partnership.id}" differs from its folder name "${entry.name}"`)
    }
    const override = partnerUrls[partnership.id]
    if (override !== undefined) {
      partnership.delivery = { ...partnership.delivery, endpoint: override }
    }
    partnership.practiceSource = 'listed'
    out.set(partnership.id, partnership)
  }
  if (ods !== undefined) addOdsPractices(out, ods)
  for (const id of Object.keys(partnerUrls)) {
    if (!out.has(id)) {
      throw new Error(`WORKWELL_PARTNER_URL_${id.toUpperCase().replaceAll('-', '_')}: no partnership "${id}" under ${mappingsDir}`)
    }
  }
  return out
}

/**
 * Adds to each partnership the active practices its sub-ICB locations commission. A practice
 * listed by hand in any partnership stays where it is listed (a sub-area or a local decision
 * outranks the national file), so no practice is claimed twice.
 */
function addOdsPractices (partnerships: Map<string, Partnership>, ods: ReadonlyMap<string, OdsPractice>): void {
  const listed = new Set([...partnerships.values()].flatMap((p) => p.practices))
  for (const p of partnerships.values()) {
    const extra = practicesCommissionedBy(ods, p.subIcbCodes ?? []).filter((code) => !listed.has(code))
    p.practices = [...p.practices, ...extra]
    p.practiceSource = 'ods-file'
  }
}

/** The partnerships as triage and routing use them: endpoint overrides, and the ODS practice file when configured. */
export async function loadAreaPartnerships (config: Pick<Config, 'mappingsDir' | 'partnerUrls' | 'odsPracticesFile'>): Promise<Map<string, Partnership>> {
  const ods = config.odsPracticesFile === undefined ? undefined : await loadOdsPractices(config.odsPracticesFile)
  return loadPartnerships(config.mappingsDir, config.partnerUrls, ods)
}
