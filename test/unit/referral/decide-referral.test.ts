import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import type { ServiceRequest } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { OperationOutcomeError } from '../../../src/fhir/operation-outcome.ts'
import { decideReferral, previewDecision } from '../../../src/referral/decide-referral.ts'
import { loadDecisionTables } from '../../../src/referral/load-decision-tables.ts'
import { containedPackage, patientByIdentifier } from '../../../src/referral/referral-package.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'

const REPO = path.resolve(import.meta.dirname, '../../..')
const NOW = new Date('2026-11-20T12:00:00Z')
const partnerships = await loadPartnerships(path.join(REPO, 'mappings'))
const tables = await loadDecisionTables(path.join(REPO, 'mappings'), partnerships.values())
const gp = (p: string): ServiceRequest => ({ ...JSON.parse(readFileSync(path.join(REPO, `fixtures/referrals/${p}/gp-referral.json`), 'utf8')) as ServiceRequest, id: 'sr-1' })
const frame = (sr: ServiceRequest) => ({ taskId: 'task-1', serviceRequestId: 'sr-1', patient: patientByIdentifier(sr), reference: 'WW-00000-00000' })

function refusal (f: () => unknown): OperationOutcomeError {
  try { f() } catch (e) { if (e instanceof OperationOutcomeError) return e; throw e }
  throw new Error('no refusal')
}

describe('decideReferral: facts → route → triage → Task', () => {
  it('routes, triages and builds the Task on the ids it is given', () => {
    const sr = gp('greater-manchester')
    const d = decideReferral(tables, containedPackage(sr), frame(sr), NOW)
    expect(d.route.partnership.id).toBe('greater-manchester')
    expect(d.task.id).toBe('task-1')
    expect(d.task.basedOn).toStrictEqual([{ reference: 'ServiceRequest/sr-1' }])
    expect(d.task.owner?.reference).toBe('Organization/greater-manchester')
    expect(d.task.identifier?.some((i) => i.value === 'WW-00000-00000')).toBe(true)
    expect(d.task.businessStatus?.coding?.[0]?.code).toBe(d.triage.outcome)
    expect(d.deliver).toBe(d.triage.deliverable && d.facts.isReferral && d.facts.referralConsent)
  })

  it('refuses a ServiceRequest that does not name its Patient, at ServiceRequest.subject', () => {
    const sr = { ...gp('greater-manchester'), subject: { reference: '#nobody' } }
    const e = refusal(() => decideReferral(tables, containedPackage(sr), frame(sr), NOW))
    expect(e.status).toBe(422)
    expect(e.issues[0]?.expression).toStrictEqual(['ServiceRequest.subject'])
  })

  it('refuses a referral that routes to no partnership, naming what was tried', () => {
    const sr = gp('greater-manchester')
    const patient = sr.contained?.find((c) => c.resourceType === 'Patient')
    if (patient?.resourceType !== 'Patient') throw new Error('fixture without Patient')
    patient.address = [{ use: 'home', postalCode: 'ZZ99 3VZ' }]
    delete patient.generalPractitioner
    const unroutable = { ...sr, requester: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'Y99999' } } }
    const e = refusal(() => decideReferral(tables, containedPackage(unroutable), frame(unroutable), NOW))
    expect(e.status).toBe(422)
    expect(e.issues[0]?.code).toBe('business-rule')
  })

  it('previews for a chosen partnership and says where the referral really routes', () => {
    const sr = gp('greater-manchester')
    const ncl = partnerships.get('north-central-london')
    if (ncl === undefined) throw new Error('no NCL')
    const p = previewDecision(tables, containedPackage(sr), ncl, frame(sr), NOW)
    expect(p.task.owner?.reference).toBe('Organization/north-central-london')
    expect(p.routed.ok && p.routed.partnership.id).toBe('greater-manchester')
  })
})

/** Every .ts file under a folder. */
function sources (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name)
    return statSync(file).isDirectory() ? sources(file) : file.endsWith('.ts') ? [file] : []
  })
}

describe('the decision is made in one place', () => {
  it('only src/referral/decide-referral.ts puts routing, triage and the Task together', () => {
    const pieces = /\b(triageRouted|buildTriageTask|isDeliverable)\b/
    const users = ['src', 'bench', 'scripts'].flatMap((d) => sources(path.join(REPO, d)))
      .filter((f) => /^import .*from/m.test(readFileSync(f, 'utf8')) && readFileSync(f, 'utf8').split('\n').some((l) => l.startsWith('import') && pieces.test(l)))
      .map((f) => path.relative(REPO, f))
    expect(users).toStrictEqual(['src/referral/decide-referral.ts'])
  })
})
