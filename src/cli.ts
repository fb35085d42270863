import { runTokenCommand, TOKEN_USAGE, tokenDefaults } from './auth/token-command.ts'
import { systemClock } from './clock.ts'
import { barsServices } from './bars/bars-services.ts'
import { catalogueEntries, catalogueServices } from './discovery/catalogue-entries.ts'
import { loadConfig } from './config.ts'
import { DELIVERY_USAGE, runDeliveryCommand } from './delivery/delivery-commands.ts'
import { runMapCommand } from './mapping/map-command.ts'
import { loadPartnerships } from './routing/load-partnerships.ts'
import { runTriageCommand, TRIAGE_USAGE } from './triage/triage-command.ts'
import { runValidateCommand, VALIDATE_USAGE } from './validation-command.ts'

const USAGE = `usage: workwell <command>
  serve                      start the gateway (same as npm start)
${VALIDATE_USAGE}
${TRIAGE_USAGE}
${TOKEN_USAGE}
  map PARTNERSHIP FILE [--task TASK]
                             map a referral (ServiceRequest or transaction Bundle) into the
                             partnership's format (triaged here unless TASK is given); prints it, sends nothing
  partnerships               list the partnerships and their delivery formats
  catalogue PARTNERSHIP      print the BaRS Endpoint Catalogue entries (Organization, HealthcareService,
                             Endpoint) the partnership would register for this gateway, as a FHIR Bundle
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
    case 'validate':
      return runValidateCommand(rest, { config, out, err })
    case 'triage':
      return runTriageCommand(rest, { config, out, err, clock: systemClock })
    case 'map':
      return runMapCommand(rest, { config, out, err })
    case 'worker':
    case 'deliveries':
    case 'replay':
    case 'prune':
      // only `worker` waits for a signal; the others must not take over Ctrl-C
      return runDeliveryCommand(command, rest, { config, out, err, clock: systemClock, signal: command === 'worker' ? stopSignal() : AbortSignal.abort() })
    case 'token':
      return runTokenCommand(rest, { config, out, err, clock: systemClock, defaults: async () => tokenDefaults(await loadPartnerships(config.mappingsDir, config.partnerUrls), 'fixtures') })
    case 'partnerships': {
      const partnerships = await loadPartnerships(config.mappingsDir, config.partnerUrls)
      for (const p of partnerships.values()) out(`${p.id}\t${p.delivery.format}\t${p.delivery.endpoint}`)
      return 0
    }
    case 'catalogue': {
      const partnerships = await loadPartnerships(config.mappingsDir, config.partnerUrls)
      const partnership = partnerships.get(rest[0] ?? '')
      if (partnership === undefined || rest.length !== 1) {
        err(`usage: workwell catalogue PARTNERSHIP (one of the partnerships in ${config.mappingsDir})`)
        return 2
      }
      const services = catalogueServices(partnership, barsServices(config.bars.serviceId, partnerships.values()))
      out(JSON.stringify(catalogueEntries({ partnership, services, baseUrl: config.baseUrl, now: systemClock.now() }), null, 2))
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
