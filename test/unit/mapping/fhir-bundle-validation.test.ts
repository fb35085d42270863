import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { Bundle, Resource } from '@medplum/fhirtypes'
import { findGoldenExamples, goldenMapInput } from '../../../src/mapping/golden-examples.ts'
import type { GoldenInput } from '../../../src/mapping/golden-examples.ts'
import { loadMapping } from '../../../src/mapping/load-mapping.ts'
import { mapReferral } from '../../../src/mapping/map-referral.ts'
import { claimUkCoreProfile, UK_CORE_PROFILES } from '../../../src/mapping/uk-core-profiles.ts'
import { createValidator } from '../../../src/validation/create-validator.ts'
import { nclReferral } from './referral-fixture.ts'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const MAPPINGS = join(ROOT, 'mappings')
const validator = await createValidator({ profilesDir: join(ROOT, 'profiles') })

/** Every fhir-bundle partnership's golden examples, mapped afresh (not read from the expected files). */
async function bundles (): Promise<Array<[string, Bundle]>> {
  const out: Array<[string, Bundle]> = []
  for (const example of await findGoldenExamples(MAPPINGS)) {
    const mapping = await loadMapping(join(MAPPINGS, example.partnershipId))
    if (mapping.format !== 'fhir-bundle') continue
    const input = goldenMapInput(JSON.parse(readFileSync(example.inputFile, 'utf8')) as GoldenInput)
    const result = mapReferral(mapping, input)
    if (!result.ok) throw new Error(`${example.partnershipId}/${example.name}: ${result.missing.join(', ')}`)
    out.push([`${example.partnershipId}/${example.name}`, JSON.parse(result.body) as Bundle])
  }
  return out
}

describe('the delivered FHIR Bundle', () => {
  it('passes the project validator without errors, for every fhir-bundle golden example', async () => {
    const all = await bundles()
    expect(all.length).toBeGreaterThanOrEqual(12)
    for (const [label, bundle] of all) {
      const errors = validator.validate(bundle).filter((i) => i.severity === 'error' || i.severity === 'fatal')
      expect(errors, label).toStrictEqual([])
    }
  })

  it('claims the UK Core profile of each resource type that has an active one, after the WorkWell profile', async () => {
    for (const [label, bundle] of await bundles()) {
      for (const entry of bundle.entry ?? []) {
        const resource = entry.resource as Resource
        const profiles = resource.meta?.profile ?? []
        const ukCore = UK_CORE_PROFILES[resource.resourceType]
        if (ukCore === undefined) {
          // Task (UKCore-Task is draft) and Consent (no UK Core profile) claim no UK Core profile
          expect(profiles.filter((p) => p.includes('UKCore')), `${label} ${resource.resourceType}`).toStrictEqual([])
        } else {
          expect(profiles.filter((p) => p === ukCore), `${label} ${resource.resourceType}`).toHaveLength(1)
          expect(profiles.at(-1)).toBe(ukCore)
        }
      }
      const types = (bundle.entry ?? []).map((e) => (e.resource as Resource).resourceType)
      expect(types, label).toEqual(expect.arrayContaining(['ServiceRequest', 'Patient', 'Observation', 'Task']))
    }
  })

  it('keeps the WorkWell claims first, and the Referral profile still catches an error in the ServiceRequest entry', async () => {
    const mapping = await loadMapping(join(MAPPINGS, 'north-central-london'))
    const result = mapReferral(mapping, nclReferral())
    if (!result.ok) throw new Error('expected a mapping')
    const bundle = JSON.parse(result.body) as Bundle
    const [sr, patient] = (bundle.entry ?? []).map((e) => e.resource as Resource)
    expect(sr?.meta?.profile).toStrictEqual([
      'https://fhir.workwell.example/StructureDefinition/WorkWell-Referral',
      'https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest'
    ])
    expect(patient?.meta?.profile).toStrictEqual(['https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient'])
    // the Referral profile (derived from UKCore-ServiceRequest) is applied to the entry
    const broken = structuredClone(bundle)
    const brokenSr = broken.entry?.[0]?.resource
    if (brokenSr?.resourceType !== 'ServiceRequest') throw new Error('unreachable')
    delete brokenSr.authoredOn
    expect(validator.validate(broken).some((i) => i.severity === 'error')).toBe(true)
  })
})

describe('claimUkCoreProfile', () => {
  it('adds meta after resourceType and id when absent, never twice, and leaves other types and its input alone', () => {
    const patient: Resource = { resourceType: 'Patient', id: 'p', birthDate: '2000-01-01' }
    const claimed = claimUkCoreProfile(patient)
    expect(Object.keys(claimed)).toEqual(['resourceType', 'id', 'meta', 'birthDate'])
    expect(claimed.meta?.profile).toStrictEqual(['https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient'])
    expect(patient.meta).toBeUndefined()
    expect(claimUkCoreProfile(claimed)).toBe(claimed)
    const consent: Resource = { resourceType: 'Consent', status: 'active', scope: {}, category: [] }
    expect(claimUkCoreProfile(consent)).toBe(consent)
  })
})
