import { readFile } from 'node:fs/promises'
import type { Bundle, Reference, ServiceRequest, Task } from '@medplum/fhirtypes'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import { parseTransaction } from '../fhir/transaction-bundle.ts'
import { patientByIdentifier } from '../intake/accept-referral.ts'
import { extractFacts } from '../intake/referral-facts.ts'
import { containedPackage, type ReferralPackage } from '../intake/referral-package.ts'
import { loadAreaPartnerships } from '../routing/load-partnerships.ts'
import { buildRoutingIndex, routeReferral } from '../routing/route-referral.ts'
import { createValidator } from '../validation/create-validator.ts'
import { buildTriageTask } from './build-task.ts'
import { loadTriageRules } from './load-triage-rules.ts'
import { triageRouted } from './triage-routed.ts'

export const TRIAGE_USAGE = '  triage FILE [--on YYYY-MM-DD]  triage a referral or fit-note triage request (ServiceRequest or transaction Bundle) as the gateway would; prints the Task, stores and sends nothing'

type Out = (line: string) => void

function packageOf (doc: ServiceRequest | Bundle): { pkg: ReferralPackage, serviceRequestId: string, patient: Reference } {
  if (doc.resourceType === 'Bundle') {
    let n = 0
    const parsed = parseTransaction(doc, () => `preview-${++n}`)
    return { pkg: parsed.pkg, serviceRequestId: parsed.serviceRequestId, patient: { reference: `Patient/${parsed.patientId}`, type: 'Patient' } }
  }
  return { pkg: containedPackage(doc), serviceRequestId: doc.id ?? 'preview', patient: patientByIdentifier(doc) }
}

/**
 * `workwell triage FILE [--on DATE]`: validate, route and triage one request with the same
 * pure modules and rule files as the gateway, and print the Task. Nothing is stored or
 * delivered. `--on` triages as on another day (e.g. to check a rule change), else today.
 * Returns the exit code: 0 printed, 1 invalid or unroutable, 2 usage.
 */
export async function runTriageCommand (args: string[], io: { config: Config, out: Out, err: Out, clock: Clock }): Promise<number> {
  const { config, out, err } = io
  const onAt = args.indexOf('--on')
  const onValue = onAt === -1 ? undefined : args[onAt + 1]
  const files = args.filter((_a, i) => onAt === -1 || (i !== onAt && i !== onAt + 1))
  if (files.length !== 1 || (onAt !== -1 && (onValue === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(onValue)))) {
    err(`usage: workwell\n${TRIAGE_USAGE}`)
    return 2
  }
  // Noon UTC is the same calendar day in England whatever the season.
  const now = onValue === undefined ? io.clock.now() : new Date(`${onValue}T12:00:00Z`)
  const doc = JSON.parse(await readFile(files[0] ?? '', 'utf8')) as ServiceRequest | Bundle
  const validator = await createValidator({ profilesDir: config.profilesDir })
  const errors = validator.validate(doc).filter((i) => i.severity === 'error' || i.severity === 'fatal')
  if (errors.length > 0) {
    for (const i of errors) err(`invalid: ${(i.expression ?? []).join(', ')}: ${i.diagnostics ?? ''}`)
    return 1
  }
  const { pkg, serviceRequestId, patient } = packageOf(doc)
  const partnerships = await loadAreaPartnerships(config)
  const rules = await loadTriageRules(config.mappingsDir, partnerships.keys(), { reviewGraceDays: config.rulesReviewGraceDays })
  const facts = extractFacts(pkg)
  const routing = buildRoutingIndex(partnerships.values())
  const route = routeReferral(facts, routing, now)
  if (!route.ok) { err(`unroutable: ${route.reason}`); return 1 }
  const task = buildTriageTask({
    id: 'preview',
    serviceRequestId,
    patient,
    ...(pkg.serviceRequest.requester === undefined ? {} : { requester: pkg.serviceRequest.requester as Task['requester'] }),
    partnership: route.partnership,
    icb: route.icb,
    triage: triageRouted(facts, route.partnership, routing, rules, now),
    now
  })
  out(JSON.stringify(task, null, 2))
  return 0
}
