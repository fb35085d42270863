import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OperationOutcomeIssue, ServiceRequest } from '@medplum/fhirtypes'
import { beforeAll, describe, expect, it } from 'vitest'
import { WORKWELL_BASE } from '../../../src/fhir/systems.ts'
import { previewTask } from '../../../src/mapping/preview-task.ts'
import { loadDecisionTables } from '../../../src/referral/load-decision-tables.ts'
import type { DecisionTables } from '../../../src/referral/decide-referral.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'
import type { Partnership } from '../../../src/routing/partnership.ts'
import { TRIAGE_TASK_PROFILE } from '../../../src/triage/build-task.ts'
import { createValidator } from '../../../src/validation/create-validator.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'

/**
 * The profiles describe what the gateway really receives and emits: the committed referral,
 * triage and Bundle fixtures pass them, the fit-note triage requests pass the fit-note triage
 * profile, and every Task the triage pipeline builds passes the triage Task profile.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..')
const FIT_NOTE_TRIAGE = `${WORKWELL_BASE}/StructureDefinition/WorkWell-FitNoteTriageRequest`
const NOW = new Date('2026-11-20T12:00:00Z')

function jsonFiles (relativeDir: string, depth: 1 | 2): string[] {
  const dir = join(ROOT, relativeDir)
  if (depth === 2) {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())
      .flatMap((d) => jsonFiles(join(relativeDir, d.name), 1))
  }
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(relativeDir, f))
}

const read = (relative: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, relative), 'utf8')) as Record<string, unknown>
const errorsOf = (issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] => issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')
/** Claims of a WorkWell profile the validator did not load (it would have been skipped with a warning). */
const unknownWorkWellProfiles = (issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] =>
  issues.filter((i) => i.code === 'not-supported' && (i.diagnostics ?? '').includes(WORKWELL_BASE))

const referrals = jsonFiles('fixtures/referrals', 2)
const fitNoteTriage = [...referrals.filter((f) => f.endsWith('fit-note-triage.json')), ...jsonFiles('fixtures/triage', 1).filter((f) => read(f).resourceType === 'ServiceRequest')]
const wellFormed = [...referrals, ...jsonFiles('fixtures/bundles', 1), ...jsonFiles('fixtures/triage', 1).filter((f) => read(f).resourceType === 'ServiceRequest')]

let validator: ResourceValidator
beforeAll(async () => {
  validator = await createValidator({ profilesDir: join(ROOT, 'profiles') })
})

describe('committed fixtures against the WorkWell profiles', () => {
  it('covers every kind of request', () => {
    expect(referrals.length).toBeGreaterThanOrEqual(30)
    expect(fitNoteTriage.length).toBeGreaterThanOrEqual(15)
  })

  it.each(wellFormed)('%s is valid, and every WorkWell profile it claims is loaded', (file) => {
    const issues = validator.validate(read(file))
    expect(errorsOf(issues)).toStrictEqual([])
    expect(unknownWorkWellProfiles(issues)).toStrictEqual([])
  })

  it.each(fitNoteTriage)('%s is a valid fit-note triage request', (file) => {
    expect(errorsOf(validator.validate(read(file), { profile: FIT_NOTE_TRIAGE }))).toStrictEqual([])
  })
})

describe('Tasks the triage pipeline builds', () => {
  let partnerships: Map<string, Partnership>
  let tables: DecisionTables
  beforeAll(async () => {
    partnerships = await loadPartnerships(join(ROOT, 'mappings'))
    tables = await loadDecisionTables(join(ROOT, 'mappings'), partnerships.values())
  })

  const serviceRequests = [...referrals, ...jsonFiles('fixtures/triage', 1).filter((f) => read(f).resourceType === 'ServiceRequest')]

  it.each(serviceRequests)('the Task for %s is a valid WorkWell-TriageTask', (file) => {
    const partnershipId = file.startsWith('fixtures/referrals/') ? file.split('/')[2] ?? '' : (file.split('/')[2] ?? '').split('-').slice(0, -1).join('-')
    const partnership = partnerships.get(partnershipId) ?? [...partnerships.values()].find((p) => file.includes(p.id))
    if (partnership === undefined) throw new Error(`no partnership for ${file}`)
    const serviceRequest = { ...read(file), id: 'sr-1' } as unknown as ServiceRequest
    const { task } = previewTask({ serviceRequest, partnership, tables, now: NOW, taskId: 'task-1' })
    expect(task.meta?.profile).toContain(TRIAGE_TASK_PROFILE)
    const issues = validator.validate(task)
    expect(errorsOf(issues)).toStrictEqual([])
    expect(unknownWorkWellProfiles(issues)).toStrictEqual([])
  })
})
