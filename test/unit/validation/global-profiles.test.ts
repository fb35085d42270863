import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createValidator } from '../../../src/validation/create-validator.ts'
import { errorsOf, PROFILES_DIR } from './helpers.ts'

/** ImplementationGuide.global: a profile every resource of a type must meet, claimed or not (R4 implementationguide.html). */

const PATIENT_PROFILE = 'https://fhir.workwell.example/StructureDefinition/WorkWell-Patient'
const guide = (profile: string): string => JSON.stringify({ resourceType: 'ImplementationGuide', url: 'https://example.net/ig', status: 'active', global: [{ type: 'Patient', profile }] })

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'workwell-global-'))
  await copyFile(join(PROFILES_DIR, 'StructureDefinition-WorkWell-Patient.json'), join(dir, 'patient.json'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('global profiles', () => {
  // a Patient base R4 accepts, which claims nothing
  const patient = { resourceType: 'Patient', id: 'p', gender: 'female' }

  it('applies the global profile to a resource that claims none', async () => {
    const without = await createValidator({ profilesDir: dir })
    expect(errorsOf(without.validate(patient))).toEqual([])
    await writeFile(join(dir, 'guide.json'), guide(PATIENT_PROFILE))
    const withGuide = await createValidator({ profilesDir: dir })
    expect(errorsOf(withGuide.validate(patient))).toEqual(errorsOf(withGuide.validate(patient, { profile: PATIENT_PROFILE })))
    expect(errorsOf(withGuide.validate(patient)).length).toBeGreaterThan(0)
  })

  it('stops start-up when the global profile is not loaded', async () => {
    await writeFile(join(dir, 'guide.json'), guide('https://example.net/StructureDefinition/missing'))
    await expect(createValidator({ profilesDir: dir })).rejects.toThrow(/global profile/)
  })
})
