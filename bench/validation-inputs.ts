import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { isJsonObject } from '../src/validation/json.ts'
import type { JsonObject } from '../src/validation/json.ts'

/**
 * The inputs of the validation benchmark, built from the committed fixtures so that the
 * numbers mean "a realistic WorkWell referral" rather than a toy resource.
 */

const REPO = resolve(import.meta.dirname, '..')

function readFixture (relative: string): JsonObject {
  const parsed: unknown = JSON.parse(readFileSync(join(REPO, relative), 'utf8'))
  if (!isJsonObject(parsed)) {
    throw new Error(`${relative} is not a JSON object`)
  }
  return parsed
}

function containedOf (resource: JsonObject): JsonObject[] {
  return Array.isArray(resource.contained) ? resource.contained.filter(isJsonObject) : []
}

/**
 * The NCL GP referral (ServiceRequest with a contained Patient, employment status and
 * consent) with the fit note of the NCL fit-note fixture added to `contained` and to
 * `supportingInfo`: the referral the issue asks to measure.
 * @returns a fresh copy
 */
export function benchReferral (): JsonObject {
  const referral = readFixture('fixtures/referrals/north-central-london/gp-referral.json')
  const fitNote = containedOf(readFixture('fixtures/referrals/north-central-london/fit-note-triage.json'))
    .find((r) => r.id === 'fitnote')
  if (!fitNote) {
    throw new Error('fit-note-triage.json has no contained fit note')
  }
  referral.contained = [...containedOf(referral), fitNote]
  const supporting = Array.isArray(referral.supportingInfo) ? referral.supportingInfo : []
  referral.supportingInfo = [...supporting, { reference: '#fitnote' }]
  return referral
}

/**
 * A 20-entry transaction Bundle: the entries of the committed transaction fixtures (12), then
 * the referrals of other partnerships unpacked into entries (each contained resource becomes an
 * entry with a urn:uuid fullUrl, `#id` references rewritten to it) until there are 20.
 * @returns a fresh Bundle
 */
export function benchBundle (): JsonObject {
  const entries: JsonObject[] = []
  for (const name of ['north-west-london', 'greater-manchester', 'cornwall-and-isles-of-scilly']) {
    const bundle = readFixture(`fixtures/bundles/${name}-transaction.json`)
    for (const entry of Array.isArray(bundle.entry) ? bundle.entry : []) {
      if (isJsonObject(entry)) {
        entries.push(entry)
      }
    }
  }
  const referrals = ['surrey-heartlands', 'frimley', 'south-yorkshire', 'black-country']
  let n = 0
  for (const partnership of referrals) {
    const referral = readFixture(`fixtures/referrals/${partnership}/gp-referral.json`)
    const urnOf = new Map<string, string>()
    const uuid = (): string => `urn:uuid:00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`
    for (const inner of containedOf(referral)) {
      urnOf.set(`#${String(inner.id)}`, uuid())
    }
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) {
        return value.map(rewrite)
      }
      if (!isJsonObject(value)) {
        return value
      }
      const out: JsonObject = {}
      for (const [k, v] of Object.entries(value)) {
        out[k] = k === 'reference' && typeof v === 'string' ? (urnOf.get(v) ?? v) : rewrite(v)
      }
      return out
    }
    const { contained: _contained, ...request } = referral
    for (const inner of [...containedOf(referral), request]) {
      const url = typeof inner.id === 'string' ? urnOf.get(`#${inner.id}`) : undefined
      const resource = rewrite(inner)
      entries.push({
        fullUrl: url ?? uuid(),
        resource,
        request: { method: 'POST', url: String(inner.resourceType) }
      })
    }
  }
  if (entries.length < 20) {
    throw new Error(`Only ${entries.length} entries for the benchmark Bundle`)
  }
  return { resourceType: 'Bundle', type: 'transaction', entry: entries.slice(0, 20) }
}
