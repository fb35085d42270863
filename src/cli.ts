import { readFile } from 'node:fs/promises'
import { systemClock } from './clock.ts'
import { loadConfig } from './config.ts'
import { DELIVERY_USAGE, runDeliveryCommand } from './delivery/delivery-commands.ts'
import { runMapCommand } from './mapping/map-command.ts'
import { loadPartnerships } from './routing/load-partnerships.ts'
import { runTriageCommand, TRIAGE_USAGE } from './triage/triage-command.ts'
import { createValidator } from './validation/create-validator.ts'

const USAGE = `usage: workwell <command>
  serve                      start the gateway (same as npm start)
  validate FILE...           validate FHIR JSON files against the WorkWell profiles
${TRIAGE_USAGE}
  map PARTNERSHIP FILE [--task TASK]
                             map a referral (ServiceRequest or transaction Bundle) into the
                             partnership's format (triaged here unless TASK is given); prints it, sends nothing
  partnerships               list the partnerships and their delivery formats
${DELIVERY_USAGE}`

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
    case 'triage':
      return runTriageCommand(rest, { config, out, err, clock: systemClock })
    case 'map':
      return runMapCommand(rest, { config, out, err })
    case 'worker':
    case 'deliveries':
    case 'replay':
      // only `worker` waits for a signal; the others must not take over Ctrl-C
      return runDeliveryCommand(command, rest, { config, out, err, clock: systemClock, signal: command === 'worker' ? stopSignal() : AbortSignal.abort() })
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

/** Aborted on SIGINT or SIGTERM, so `worker` finishes its deliveries in flight and exits. */
function stopSignal (): AbortSignal {
  const controller = new AbortController()
  const stop = (): void => { controller.abort() }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return controller.signal
}
