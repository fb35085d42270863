import { readFileSync } from 'node:fs'
import type { AppOptions } from './app.ts'
import { assertHttpsEndpoints } from './auth/transport-policy.ts'
import type { Config } from './config.ts'
import { loadMappings } from './mapping/load-mapping.ts'
import { loadAreaPartnerships } from './routing/load-partnerships.ts'
import { openStore } from './store/open-store.ts'
import { loadTriageRules } from './triage/load-triage-rules.ts'
import { createValidator } from './validation/create-validator.ts'

/** The gateway's own version, from package.json (shown in the CapabilityStatement). */
export function packageVersion (): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }
  return pkg.version ?? '0.0.0'
}

/**
 * Opens everything the app needs from the configuration: the store (PostgreSQL when
 * DATABASE_URL is set, else SQLite under the data folder), the compiled validator, the
 * partnership directory and the mappings. The caller
 * owns the store and closes it after the app.
 */
export async function openGatewayDeps (config: Config): Promise<AppOptions> {
  // the store (its migrations, its writer thread or its connection pool) opens while the rest
  // loads: start-to-ready is a measured figure (bench/intake.ts)
  const opening = openStore(config)
  // handled below, when awaited; this only stops a failure that comes first from counting as unhandled
  opening.catch(() => undefined)
  try {
    const partnerships = await loadAreaPartnerships(config)
    assertHttpsEndpoints(partnerships.values(), config.security.production)
    const mappings = await loadMappings(config.mappingsDir, partnerships.keys())
    const triageRules = await loadTriageRules(config.mappingsDir, partnerships.keys(), { reviewGraceDays: config.rulesReviewGraceDays })
    const validator = await createValidator({ profilesDir: config.profilesDir })
    const store = await opening
    return { config, store, validator, partnerships, triageRules, mappings, version: packageVersion() }
  } catch (err) {
    await opening.then(async (store) => { await store.close() }, () => undefined)
    throw err
  }
}
