import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { WORKWELL_BASE } from '../../../src/fhir/systems.ts'
import { createValidator } from '../../../src/validation/create-validator.ts'
import type { ResourceValidator } from '../../../src/validation/validator.ts'

/**
 * Every WorkWell profile's examples in fixtures/profiles/<profile id>/: each valid-* file passes
 * the gateway's validator (built as src/gateway-deps.ts builds it) with no error, and each
 * invalid-* file fails with the issue listed here (and in that folder's README), at the
 * FHIRPath expression of the offending element.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..')
const EXAMPLES = join(ROOT, 'fixtures', 'profiles')

interface Expected {
  /** expression[0] of the issue the defect must produce */
  readonly expression: string
  /** text the issue's diagnostics must contain (e.g. the invariant key) */
  readonly text?: string
  /** true when base R4 (or the gateway's own checks) reject it too, without the profile */
  readonly alsoWithoutProfile?: boolean
  /**
   * a required binding to a WorkWell ValueSet: the issue is on `expression` or inside it
   */
  readonly binding?: true
}

const INVALID: Readonly<Record<string, Expected>> = {
  'WorkWell-Patient/invalid-no-nhs-number': { expression: 'Patient.identifier', text: "Slice 'nhsNumber'" },
  'WorkWell-Patient/invalid-nhs-number-with-spaces': { expression: 'Patient', text: 'ww-pat-1' },
  'WorkWell-Patient/invalid-nhs-number-check-digit': { expression: 'Patient.identifier[0].value', text: 'Modulus 11', alsoWithoutProfile: true },
  'WorkWell-Patient/invalid-no-birth-date': { expression: 'Patient.birthDate' },
  'WorkWell-Patient/invalid-no-name': { expression: 'Patient.name' },

  'WorkWell-Referral/invalid-no-referral-source': { expression: 'ServiceRequest.category', text: "Slice 'referralSource'" },
  'WorkWell-Referral/invalid-two-referral-sources': { expression: 'ServiceRequest.category', text: 'found 2' },
  'WorkWell-Referral/invalid-requester-display-only': { expression: 'ServiceRequest', text: 'ww-ref-1' },
  'WorkWell-Referral/invalid-subject-not-patient': { expression: 'ServiceRequest.subject', text: 'Patient' },
  'WorkWell-Referral/invalid-no-authored-on': { expression: 'ServiceRequest.authoredOn' },
  'WorkWell-Referral/invalid-no-code': { expression: 'ServiceRequest.code' },
  'WorkWell-Referral/invalid-unknown-referral-source': { expression: 'ServiceRequest.category', binding: true },

  'WorkWell-FitNoteTriageRequest/invalid-plan-intent': { expression: 'ServiceRequest', text: 'ww-fnt-1' },
  'WorkWell-FitNoteTriageRequest/invalid-no-supporting-info': { expression: 'ServiceRequest.supportingInfo' },
  'WorkWell-FitNoteTriageRequest/invalid-no-reason': { expression: 'ServiceRequest.reasonCode' },

  'WorkWell-FitNote/invalid-advice-on-not-fit': { expression: 'Observation', text: 'ww-fn-1' },
  'WorkWell-FitNote/invalid-outcome-contradicts-code': { expression: 'Observation', text: 'ww-fn-2' },
  'WorkWell-FitNote/invalid-effective-date-time': { expression: 'Observation.effective', text: 'Period' },
  'WorkWell-FitNote/invalid-no-period-start': { expression: 'Observation', text: 'ww-fn-3' },
  'WorkWell-FitNote/invalid-advice-value-string': { expression: 'Observation.component[0].value', text: 'boolean' },
  'WorkWell-FitNote/invalid-reassessment-twice': { expression: 'Observation.component', text: "Slice 'needsReassessment'" },
  'WorkWell-FitNote/invalid-no-issued': { expression: 'Observation.issued' },
  'WorkWell-FitNote/invalid-no-outcome': { expression: 'Observation.value' },
  'WorkWell-FitNote/invalid-not-an-emed3-code': { expression: 'Observation.code', binding: true },

  'WorkWell-EmploymentStatus/invalid-snomed-code': { expression: 'Observation.code', text: 'pattern' },
  'WorkWell-EmploymentStatus/invalid-date-work-stopped-as-text': { expression: 'Observation.component[0].value', text: 'dateTime' },
  'WorkWell-EmploymentStatus/invalid-no-value': { expression: 'Observation.value' },
  'WorkWell-EmploymentStatus/invalid-value-as-text': { expression: 'Observation.value', text: 'CodeableConcept' },
  'WorkWell-EmploymentStatus/invalid-no-subject': { expression: 'Observation.subject' },
  'WorkWell-EmploymentStatus/invalid-unknown-situation': { expression: 'Observation.value', binding: true },

  'WorkWell-ReferralConsent/invalid-no-purpose': { expression: 'Consent.provision.code' },
  'WorkWell-ReferralConsent/invalid-no-date-time': { expression: 'Consent.dateTime' },
  'WorkWell-ReferralConsent/invalid-research-scope': { expression: 'Consent.scope', text: 'pattern' },
  'WorkWell-ReferralConsent/invalid-no-provision': { expression: 'Consent.provision' },
  'WorkWell-ReferralConsent/invalid-unknown-purpose': { expression: 'Consent.provision.code', binding: true },

  'WorkWell-TriageTask/invalid-no-rules-version': { expression: 'Task.extension', text: "Slice 'rulesVersion'" },
  'WorkWell-TriageTask/invalid-two-rules-versions': { expression: 'Task.extension', text: 'found 2' },
  'WorkWell-TriageTask/invalid-plan-intent': { expression: 'Task.intent', text: 'order' },
  'WorkWell-TriageTask/invalid-no-business-status': { expression: 'Task.businessStatus' },
  'WorkWell-TriageTask/invalid-triage-output-without-code': { expression: 'Task', text: 'ww-task-1' },
  'WorkWell-TriageTask/invalid-focus-not-service-request': { expression: 'Task.focus', text: 'ServiceRequest' },
  'WorkWell-TriageTask/invalid-no-owner': { expression: 'Task.owner' }
}

/** "<profile id>/<file name without .json>" of every example on disk. */
function examples (): string[] {
  return readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(EXAMPLES, d.name)).filter((f) => f.endsWith('.json')).map((f) => `${d.name}/${f.slice(0, -5)}`))
    .sort()
}

function read (example: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(EXAMPLES, `${example}.json`), 'utf8')) as Record<string, unknown>
}

const errorsOf = (issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] =>
  issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')

function matches (i: OperationOutcomeIssue, expected: Expected): boolean {
  const at = i.expression?.[0] ?? ''
  const where = expected.binding === true
    ? at === expected.expression || at.startsWith(`${expected.expression}.`) || at.startsWith(`${expected.expression}[`)
    : at === expected.expression
  return where && (expected.text === undefined || (i.diagnostics ?? '').includes(expected.text))
}

const all = examples()
const valid = all.filter((e) => e.split('/')[1]?.startsWith('valid-') === true)
const invalid = all.filter((e) => e.split('/')[1]?.startsWith('invalid-') === true)
const profileIds = [...new Set(all.map((e) => e.split('/')[0] ?? ''))]

const validator: ResourceValidator = await createValidator({ profilesDir: join(ROOT, 'profiles') })

describe('WorkWell profile examples (fixtures/profiles)', () => {
  it('has at least one valid and one invalid example for every loaded profile, and nothing unnamed', () => {
    const loaded = validator.profiles.map((url) => url.slice(url.lastIndexOf('/') + 1)).sort()
    expect(profileIds.sort()).toStrictEqual(loaded)
    for (const id of loaded) {
      expect(valid.some((e) => e.startsWith(`${id}/`)), `${id} has a valid example`).toBe(true)
      expect(invalid.some((e) => e.startsWith(`${id}/`)), `${id} has an invalid example`).toBe(true)
    }
    expect(all.filter((e) => !valid.includes(e) && !invalid.includes(e))).toStrictEqual([])
    expect(invalid).toStrictEqual(Object.keys(INVALID).sort())
  })

  it.each(profileIds)('%s/README.md names every invalid example', (id) => {
    const readme = readFileSync(join(EXAMPLES, id, 'README.md'), 'utf8')
    for (const example of invalid.filter((e) => e.startsWith(`${id}/`))) {
      expect(readme).toContain(`${example.slice(id.length + 1)}.json`)
    }
  })

  it.each(all)('%s claims the profile of its folder', (example) => {
    const meta = read(example).meta as { profile?: string[] } | undefined
    expect(meta?.profile).toContain(`${WORKWELL_BASE}/StructureDefinition/${example.split('/')[0] ?? ''}`)
  })

  it.each(valid)('%s is valid', (example) => {
    const issues = validator.validate(read(example))
    expect(errorsOf(issues)).toStrictEqual([])
    // every profile it claims was applied (none unknown)
    expect(issues.filter((i) => i.code === 'not-supported')).toStrictEqual([])
  })

  it.each(invalid.filter((e) => INVALID[e]?.binding !== true))('%s is rejected at the expected element', (example) => {
    const expected = INVALID[example]
    if (expected === undefined) throw new Error(`no expectation for ${example}`)
    const errors = errorsOf(validator.validate(read(example)))
    expect(errors.filter((i) => matches(i, expected)), JSON.stringify(errors, null, 1)).not.toHaveLength(0)
  })

  it.each(invalid.filter((e) => INVALID[e]?.binding === true))('%s breaks a required binding, reported at the element', (example) => {
    const expected = INVALID[example]
    if (expected === undefined) throw new Error(`no expectation for ${example}`)
    const errors = errorsOf(validator.validate(read(example)))
    expect(errors.filter((i) => matches(i, expected)), JSON.stringify(errors, null, 1)).not.toHaveLength(0)
  })

  it.each(invalid.filter((e) => INVALID[e]?.alsoWithoutProfile !== true))('%s is invalid because of the profile (base R4 accepts it)', (example) => {
    const expected = INVALID[example]
    if (expected === undefined) throw new Error(`no expectation for ${example}`)
    const resource = read(example)
    delete resource.meta
    expect(errorsOf(validator.validate(resource)).filter((i) => matches(i, expected))).toStrictEqual([])
  })
})
