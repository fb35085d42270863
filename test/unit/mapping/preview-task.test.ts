import path from 'node:path'
import type { ServiceRequest } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { extractFacts } from '../../../src/intake/referral-facts.ts'
import { containedPackage } from '../../../src/intake/referral-package.ts'
import { loadPreviewTriage, previewTask } from '../../../src/mapping/preview-task.ts'
import { loadPartnerships } from '../../../src/routing/load-partnerships.ts'
import { buildRoutingIndex } from '../../../src/routing/route-referral.ts'
import { loadTriageRules } from '../../../src/triage/load-triage-rules.ts'
import { triageRouted } from '../../../src/triage/triage-routed.ts'

const MAPPINGS = path.resolve(import.meta.dirname, '../../../mappings')
const NOW = new Date('2026-11-20T12:00:00Z')
const partnerships = await loadPartnerships(MAPPINGS)
const routing = buildRoutingIndex(partnerships.values())

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
    const { task } = previewTask({ serviceRequest, partnership: ncl, routing, triage: await loadPreviewTriage(MAPPINGS, partnerships.values()), now: NOW, taskId: 't' })
    const rules = await loadTriageRules(MAPPINGS, partnerships.keys())
    const intake = triageRouted(extractFacts(containedPackage(serviceRequest)), ncl, routing, rules, NOW)
    const own = intake.outputs.find((o) => o.code === 'own-area-workwell')
    expect(own?.local?.name).toBe(rules.get('greater-manchester')?.directory['work-health-assessment']?.name)
    expect(task.output?.map((o) => o.valueCodeableConcept?.text)).toStrictEqual(intake.outputs.map((o) => `${o.display}: ${o.local?.name ?? ''}`))
    expect(task.businessStatus?.text).toBe(intake.reasons.join('; '))
  })
})
