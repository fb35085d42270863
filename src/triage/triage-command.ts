import { readFile } from 'node:fs/promises'
import type { Bundle, Reference, ServiceRequest } from '@medplum/fhirtypes'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import { parseTransaction } from '../fhir/transaction-bundle.ts'
import { OperationOutcomeError } from '../fhir/operation-outcome.ts'
import { decideReferral } from '../referral/decide-referral.ts'
import { loadDecisionTables } from '../referral/load-decision-tables.ts'
import { containedPackage, patientByIdentifier, type ReferralPackage } from '../referral/referral-package.ts'
import { loadAreaPartnerships } from '../routing/load-partnerships.ts'
import { createValidator } from '../validation/create-validator.ts'

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
  const tables = await loadDecisionTables(config.mappingsDir, partnerships.values(), { reviewGraceDays: config.rulesReviewGraceDays })
  try {
    const { task } = decideReferral(tables, pkg, { taskId: 'preview', serviceRequestId, patient }, now)
    out(JSON.stringify(task, null, 2))
    return 0
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) throw e
    // the intake's 422s: no Patient named, or no partnership to route to
    for (const i of e.issues) err(`${i.code === 'business-rule' ? 'unroutable' : 'invalid'}: ${(i.expression ?? []).join(', ')}: ${i.diagnostics ?? ''}`)
    return 1
  }
}
