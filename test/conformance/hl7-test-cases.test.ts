import { beforeAll, describe, expect, it } from 'vitest'
import { loadBaseDefinitions } from '../../src/validation/base-definitions.ts'
import { createValidator } from '../../src/validation/create-validator.ts'
import type { Hl7Grade } from './hl7-harness.ts'
import { gradeHl7Cases } from './hl7-harness.ts'
import { sharedFolder } from './shared-data.ts'

/**
 * Share of HL7 validator test cases (HL7 fhir-test-cases, found by shared-data.ts) whose verdict we get right.
 * The goal was 0.85 (and @medplum/core alone scores 0.73 on the base cases), reached: 144/161
 * (0.894) on 2026-11-30; then 0.95, reached: 153/161 on 2026-12-06 (the cases still missed,
 * and why, are in docs/conformance.md). Never lower it.
 */
const SCORE_FLOOR = 0.95

/**
 * Valid test resources we reject: the goal, 0. A gateway must not turn away valid referrals.
 * contained-resource-bad-id-ignore is valid only under the Java validator's
 * validateContains=IGNORE (its contained id is 65 characters, which R4 forbids); the harness
 * passes the same setting (ValidateOptions.contained).
 */
const FALSE_REJECTIONS_CEILING = 0

const { dir, skipReason } = sharedFolder('fhir/test-cases')
if (skipReason !== undefined) {
  console.log(`HL7 conformance suite skipped: ${skipReason}`)
}

describe.skipIf(skipReason !== undefined)('HL7 validator test cases (conformance)', () => {
  let grade: Hl7Grade
  beforeAll(async () => {
    const base = await loadBaseDefinitions()
    grade = await gradeHl7Cases(dir, base, async (profilesDir) => createValidator({ profilesDir }))
    const right = grade.results.filter((r) => r.right).length
    console.log(`HL7 conformance: ${right}/${grade.results.length} verdicts right (${(grade.score * 100).toFixed(1)}%), ` +
      `${grade.falseRejections.length} valid resources rejected, ${grade.unloadable.length} cases whose profile could not be loaded`)
    for (const r of grade.falseRejections) {
      console.log(`  false rejection: ${r.name}: ${r.note}`)
    }
    for (const r of grade.unloadable) {
      console.log(`  no verdict: ${r.name}: ${r.note}`)
    }
    for (const r of grade.results.filter((x) => !x.right && x.actualValid === true)) {
      console.log(`  missed: ${r.name}`)
    }
  }, 300_000)

  it('grades every case of the manifest', () => {
    expect(grade.results.length).toBeGreaterThanOrEqual(161)
  })

  it(`gets at least ${SCORE_FLOOR} of the verdicts right (the goal)`, () => {
    expect(grade.score).toBeGreaterThanOrEqual(SCORE_FLOOR)
  })

  it(`rejects at most ${FALSE_REJECTIONS_CEILING} valid resources (goal 0)`, () => {
    expect(grade.falseRejections.map((r) => r.name).length).toBeLessThanOrEqual(FALSE_REJECTIONS_CEILING)
  })
})
