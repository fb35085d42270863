import { readFileSync } from 'node:fs'
import type { ServiceRequest, Task } from '@medplum/fhirtypes'
import type { MapInput } from '../../../src/mapping/mapping.ts'

const FIXTURE = new URL('../../../fixtures/referrals/north-central-london/gp-referral.json', import.meta.url)
const SYSTEM = 'https://fhir.workwell.example/CodeSystem'

/** The NCL GP referral as stored (with an id), read fresh on every call so tests may mutate it. */
export function nclServiceRequest (id = 'sr-1'): ServiceRequest {
  return { ...(JSON.parse(readFileSync(FIXTURE, 'utf8')) as ServiceRequest), id }
}

/** A triage Task shaped as src/triage/build-task.ts builds it: two services and a signpost. */
export function triageTask (serviceRequestId = 'sr-1', id = 'task-1'): Task {
  const output = (kind: 'recommended-service' | 'signpost', system: string, code: string): NonNullable<Task['output']>[number] => ({
    type: { coding: [{ system: `${SYSTEM}/triage-output`, code: kind }] },
    valueCodeableConcept: { coding: [{ system: `${SYSTEM}/${system}`, code }] }
  })
  return {
    resourceType: 'Task',
    id,
    basedOn: [{ reference: `ServiceRequest/${serviceRequestId}` }],
    focus: { reference: `ServiceRequest/${serviceRequestId}` },
    for: { type: 'Patient', identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9912003888' } },
    status: 'requested',
    intent: 'order',
    priority: 'urgent',
    businessStatus: { coding: [{ system: `${SYSTEM}/triage-outcome`, code: 'eligible-refer' }] },
    owner: { reference: 'Organization/north-central-london', type: 'Organization' },
    output: [
      output('recommended-service', 'service-type', 'physiotherapy'),
      output('signpost', 'signpost-type', 'acas'),
      output('recommended-service', 'service-type', 'employment-advice')
    ]
  }
}

/** The NCL referral with its Task. */
export function nclReferral (): MapInput {
  return { serviceRequest: nclServiceRequest(), task: triageTask() }
}
