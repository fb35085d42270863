import path from 'node:path'
import type { ServiceRequest } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { decideReferral } from '../../../src/referral/decide-referral.ts'
import { loadDecisionTables } from '../../../src/referral/load-decision-tables.ts'
import { containedPackage, patientByIdentifier } from '../../../src/referral/referral-package.ts'
import { previewTask } from '../../../src/mapping/preview-task.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'

const MAPPINGS = path.resolve(import.meta.dirname, '../../../mappings')
const NOW = new Date('2026-11-20T12:00:00Z')
const partnerships = await loadPartnerships(MAPPINGS)
const tables = await loadDecisionTables(MAPPINGS, partnerships.values())

/** The NCL GP referral of someone who lives in, and is registered in, Greater Manchester. */
async function livingInGreaterManchester (): Promise<ServiceRequest> {
  const sr = structuredClone((await import('../../../fixtures/referrals/north-central-london/gp-referral.json', { with: { type: 'json' } })).default) as unknown as ServiceRequest
  const gm = partnerships.get('greater-manchester')
  const patient = sr.contained?.find((c) => c.resourceType === 'Patient')
  if (gm === undefined || patient?.resourceType !== 'Patient') throw new Error('fixture or partnership missing')
  patient.address = [{ use: 'home', postalCode: `${gm.postcodeDistricts[0] ?? ''} 1AA` }]
  patient.generalPractitioner = [{ identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: gm.practices[0] ?? '' } }]
  return { ...sr, id: 'sr-1' }
}

describe('previewTask (workwell map, golden examples)', () => {
  it('triages as intake does, naming the person\'s home pilot when routed here by the referring practice', async () => {
    const ncl = partnerships.get('north-central-london')
    if (ncl === undefined) throw new Error('no NCL')
    const serviceRequest = await livingInGreaterManchester()
    const { task, routeNote } = previewTask({ serviceRequest, partnership: ncl, tables, now: NOW, taskId: 't' })
    expect(routeNote).toBeUndefined()
    const intake = decideReferral(tables, containedPackage(serviceRequest), { taskId: 't', serviceRequestId: 'sr-1', patient: patientByIdentifier(serviceRequest) }, NOW)
    expect(intake.route.partnership.id).toBe('north-central-london')
    const own = intake.triage.outputs.find((o) => o.code === 'own-area-workwell')
    expect(own?.local?.name).toBe(tables.triageRules.get('greater-manchester')?.directory['work-health-assessment']?.name)
    // the preview is the intake's Task, whole
    expect(task).toStrictEqual(intake.task)
  })

  it('is owned by the partnership asked for, and says where the referral really routes', async () => {
    const gm = partnerships.get('greater-manchester')
    if (gm === undefined) throw new Error('no GM')
    const serviceRequest = await livingInGreaterManchester()
    const { task, routeNote } = previewTask({ serviceRequest, partnership: gm, tables, now: NOW, taskId: 't' })
    expect(task.owner?.reference).toBe('Organization/greater-manchester')
    expect(routeNote).toBe('the referral routes to north-central-london, not greater-manchester')
  })
})
