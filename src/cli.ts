import { readFile } from 'node:fs/promises'
import type { ServiceRequest } from '@medplum/fhirtypes'
import { loadConfig } from './config.ts'
import { containedPackage } from './intake/referral-package.ts'
import { extractFacts } from './intake/referral-facts.ts'
import { loadPartnerships } from './routing/load-partnerships.ts'
import { buildRoutingIndex, routeReferral } from './routing/route-referral.ts'
import { buildTriageTask } from './triage/build-task.ts'
import { triageReferral } from './triage/triage.ts'
import { createValidator } from './validation/create-validator.ts'

const USAGE = `usage: workwell <command>
  serve                      start the gateway (same as npm start)
  validate FILE...           validate FHIR JSON files against the WorkWell profiles
  triage FILE                route and triage a referral ServiceRequest; prints the Task, stores nothing
  partnerships               list the partnerships and their delivery formats`

type Out = (line: string) => void

/**
 * The command line. Returns the exit code; output goes to the given writers so tests can read it.
 * @param args - arguments after the command name
 */
export async function main (args: string[], out: Out = (l) => process.stdout.write(`${l}\n`), err: Out = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  const [command, ...rest] = args
  const config = loadConfig(process.env, process.cwd())
  switch (command) {
    case 'serve':
      await import('./server.ts')
      return 0
    case 'validate': {
      if (rest.length === 0) { err(USAGE); return 2 }
      const validator = await createValidator({ profilesDir: config.profilesDir })
      let failed = 0
      for (const file of rest) {
        const issues = validator.validate(JSON.parse(await readFile(file, 'utf8')))
        const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')
        if (errors.length > 0) failed++
        out(`${file}: ${errors.length === 0 ? 'valid' : `${errors.length} error(s)`}`)
        for (const i of issues) out(`  ${i.severity} ${i.code} ${(i.expression ?? []).join(', ')}: ${i.diagnostics ?? ''}`)
      }
      return failed === 0 ? 0 : 1
    }
    case 'triage': {
      const file = rest[0]
      if (file === undefined) { err(USAGE); return 2 }
      const sr = JSON.parse(await readFile(file, 'utf8')) as ServiceRequest
      const partnerships = await loadPartnerships(config.mappingsDir, config.partnerUrls)
      const facts = extractFacts(containedPackage(sr))
      const now = new Date()
      const route = routeReferral(facts, buildRoutingIndex(partnerships.values()), now)
      if (!route.ok) { err(`unroutable: ${route.reason}`); return 1 }
      const task = buildTriageTask({
        id: 'preview', serviceRequestId: sr.id ?? 'preview', patient: { type: 'Patient' }, partnership: route.partnership, icb: route.icb, triage: triageReferral(facts, now), now
      })
      out(JSON.stringify(task, null, 2))
      return 0
    }
    case 'partnerships': {
      const partnerships = await loadPartnerships(config.mappingsDir, config.partnerUrls)
      for (const p of partnerships.values()) out(`${p.id}\t${p.delivery.format}\t${p.delivery.endpoint}`)
      return 0
    }
    default:
      err(USAGE)
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2
  }
}
