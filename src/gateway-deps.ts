import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { AppOptions } from './app.ts'
import type { Config } from './config.ts'
import { loadMappings } from './mapping/load-mapping.ts'
import { loadPartnerships } from './routing/load-partnerships.ts'
import { openSqliteStore } from './store/sqlite-store.ts'
import { loadTriageRules } from './triage/load-triage-rules.ts'
import { createValidator } from './validation/create-validator.ts'

/** The gateway's own version, from package.json (shown in the CapabilityStatement). */
export function packageVersion (): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }
  return pkg.version ?? '0.0.0'
}

/**
 * Opens everything the app needs from the configuration: the SQLite store under the data
 * folder, the compiled validator, the partnership directory and the mappings. The caller
 * owns the store and closes it after the app.
 */
export async function openGatewayDeps (config: Config): Promise<AppOptions> {
  const partnerships = await loadPartnerships(config.mappingsDir, config.partnerUrls)
  const mappings = await loadMappings(config.mappingsDir, partnerships.keys())
  const triageRules = await loadTriageRules(config.mappingsDir, partnerships.keys())
  const validator = await createValidator({ profilesDir: config.profilesDir })
  const store = await openSqliteStore({ file: path.join(config.dataDir, 'workwell.sqlite') })
  return { config, store, validator, partnerships, triageRules, mappings, version: packageVersion() }
}
