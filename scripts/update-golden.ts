/**
 * Regenerates the golden examples' expected outputs: mappings/<id>/examples/<name>.expected.*
 * from <name>.input.json and the partnership's mapping.json. For people only (the test never
 * regenerates): run it after changing a mapping or the engine on purpose, then review the diff.
 *
 *   node scripts/update-golden.ts            rewrite every expected output
 *   node scripts/update-golden.ts --inputs   first rebuild the standard inputs from fixtures/
 *                                            (gp-referral, fit-note, transaction), then rewrite
 *
 * --inputs builds each input as the gateway would store it on 21 Nov 2026: the fixture with a
 * name-based id, and the Task the triage pipeline gives it (previewTask). The transaction input
 * comes from fixtures/bundles/<id>-transaction.json where there is one, else from the GP
 * referral with its contained resources made separate entries of a transaction.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import type { Bundle, BundleEntry, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { rewriteReferences } from '../src/fhir/references.ts'
import { parseTransaction } from '../src/fhir/transaction-bundle.ts'
import { findGoldenExamples, goldenMapInput, renderExpected } from '../src/mapping/golden-examples.ts'
import type { GoldenInput } from '../src/mapping/golden-examples.ts'
import { inlineStoredResources } from '../src/mapping/inline-resources.ts'
import { loadMapping } from '../src/mapping/load-mapping.ts'
import { mapReferral } from '../src/mapping/map-referral.ts'
import { nameUuid } from '../src/mapping/name-uuid.ts'
import { previewTask } from '../src/mapping/preview-task.ts'
import { loadDecisionTables } from '../src/referral/load-decision-tables.ts'
import type { DecisionTables } from '../src/referral/decide-referral.ts'
import { loadPartnerships } from '../src/routing/load-partnerships.ts'
import type { Partnership } from '../src/routing/partnership.ts'

const ROOT = resolve(import.meta.dirname, '..')
const MAPPINGS = join(ROOT, 'mappings')
const FIXTURES = join(ROOT, 'fixtures')
/** When the example referrals are taken to arrive (the fixtures are authored 16–20 Nov 2026). */
const NOW = new Date('2026-11-21T09:00:00.000Z')

const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T
const writeJson = async (file: string, value: unknown): Promise<void> => writeFile(file, `${JSON.stringify(value, null, 2)}\n`)

/** A resource as the store keeps it: its id, and meta.versionId/lastUpdated, first. */
function stored<T extends Resource> (resource: T, id: string): T {
  const { resourceType, id: _id, meta, ...rest } = resource
  return { resourceType, id, meta: { ...meta, versionId: '1', lastUpdated: NOW.toISOString() }, ...rest } as T
}

/** A contained-style referral (POST /fhir/ServiceRequest). */
function containedInput (partnership: Partnership, tables: DecisionTables, name: string, sr: ServiceRequest, description: string): GoldenInput {
  const serviceRequest = stored(sr, nameUuid(`golden/${partnership.id}/${name}/ServiceRequest`))
  const { task, routeNote } = previewTask({ serviceRequest, partnership, tables, now: NOW, taskId: nameUuid(`golden/${partnership.id}/${name}/Task`) })
  if (routeNote !== undefined) throw new Error(`${partnership.id}/${name}: ${routeNote}`)
  return { description, serviceRequest, task }
}

/** The GP referral as a transaction Bundle: each contained resource an entry of its own. */
function asTransaction (sr: ServiceRequest, partnershipId: string): Bundle {
  const { contained = [], ...bare } = sr
  const urls = new Map(contained.map((r) => [`#${r.id ?? ''}`, `urn:uuid:${nameUuid(`golden/${partnershipId}/bundle/${r.id ?? ''}`)}`]))
  const entry = (resource: Resource, fullUrl: string): BundleEntry => ({
    fullUrl,
    resource: rewriteReferences(resource, (ref) => urls.get(ref)),
    request: { method: 'POST', url: resource.resourceType }
  })
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      ...contained.map((r) => { const { id, ...rest } = r; return entry(rest as Resource, urls.get(`#${id ?? ''}`) ?? '') }),
      entry(bare, `urn:uuid:${nameUuid(`golden/${partnershipId}/bundle/ServiceRequest`)}`)
    ]
  }
}

/** A transaction-style referral (POST /fhir): the resources stored separately. */
function transactionInput (partnership: Partnership, tables: DecisionTables, bundle: Bundle, description: string): GoldenInput {
  let n = 0
  const parsed = parseTransaction(bundle, () => nameUuid(`golden/${partnership.id}/transaction/${++n}`))
  const resources = parsed.resolved.map((r) => stored(r, r.id ?? ''))
  const serviceRequest = resources.find((r) => r.resourceType === 'ServiceRequest') as ServiceRequest
  const { task, routeNote } = previewTask({
    serviceRequest: inlineStoredResources(serviceRequest, resources),
    partnership,
    tables,
    now: NOW,
    taskId: nameUuid(`golden/${partnership.id}/transaction/Task`),
    patient: { reference: `Patient/${parsed.patientId}`, type: 'Patient' }
  })
  if (routeNote !== undefined) throw new Error(`${partnership.id}/transaction: ${routeNote}`)
  return { description, serviceRequest, resources: resources.filter((r) => r !== serviceRequest), task }
}

async function buildInputs (): Promise<void> {
  const partnerships = await loadPartnerships(MAPPINGS)
  const tables = await loadDecisionTables(MAPPINGS, partnerships.values())
  for (const partnership of partnerships.values()) {
    const dir = join(MAPPINGS, partnership.id, 'examples')
    await mkdir(dir, { recursive: true })
    const fixtures = join(FIXTURES, 'referrals', partnership.id)
    const gp = await readJson<ServiceRequest>(join(fixtures, 'gp-referral.json'))
    const fitNote = await readJson<ServiceRequest>(join(fixtures, 'fit-note-triage.json'))
    await writeJson(join(dir, 'gp-referral.input.json'), containedInput(partnership, tables, 'gp-referral', gp,
      `fixtures/referrals/${partnership.id}/gp-referral.json: a GP referral with its Patient, employment Observation and Consent contained, and its triage Task`))
    await writeJson(join(dir, 'fit-note.input.json'), containedInput(partnership, tables, 'fit-note', fitNote,
      `fixtures/referrals/${partnership.id}/fit-note-triage.json: a fit-note conversation request (intent proposal) with the fit note contained, and its triage Task`))
    const bundleFile = join(FIXTURES, 'bundles', `${partnership.id}-transaction.json`)
    const fromFixture = await readJson<Bundle>(bundleFile).catch(() => undefined)
    await writeJson(join(dir, 'transaction.input.json'), fromFixture === undefined
      ? transactionInput(partnership, tables, asTransaction(gp, partnership.id),
        'the GP referral of gp-referral.json as it is stored when it arrives as a transaction Bundle (POST /fhir): Patient, Observation and Consent stored separately, referenced as Type/id')
      : transactionInput(partnership, tables, fromFixture,
        `fixtures/bundles/${partnership.id}-transaction.json as stored (POST /fhir): Patient, Observation and Consent stored separately, referenced as Type/id`))
  }
}

async function updateExpected (): Promise<number> {
  const examples = await findGoldenExamples(MAPPINGS)
  for (const example of examples) {
    const mapping = await loadMapping(join(MAPPINGS, example.partnershipId))
    const input = goldenMapInput(await readJson<GoldenInput>(example.inputFile))
    const file = example.expectedFile(mapping.format)
    try {
      await writeFile(file, renderExpected(mapReferral(mapping, input), mapping.format))
    } catch (err) {
      throw new Error(`${relative(ROOT, example.inputFile)}: ${(err as Error).message}`, { cause: err })
    }
    process.stdout.write(`${relative(ROOT, file)}\n`)
  }
  return examples.length
}

if (process.argv.includes('--inputs')) {
  await buildInputs()
}
process.stdout.write(`${await updateExpected()} expected output(s) written; review them with git diff\n`)
