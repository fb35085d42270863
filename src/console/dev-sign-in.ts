import { DEV_ISSUER } from '../auth/dev-keys.ts'
import type { Principal, Role } from '../auth/principal.ts'
import type { SecurityConfig } from '../auth/auth-config.ts'
import type { Partnership } from '../routing/partnership.ts'
import { tokenDefaults } from '../auth/token-command.ts'
import type { ConsoleUser } from './session-store.ts'

/**
 * Development sign-in follows the rule for development tokens (auth/dev-keys.ts): offered only
 * when NODE_ENV is not production and no token issuer is configured.
 */
export function devSignInAllowed (security: Pick<SecurityConfig, 'production' | 'issuers'>): boolean {
  return !security.production && security.issuers.length === 0
}

/** The person a development button signs in: bound as the development tokens are (token-command.ts). */
export function devUser (role: Role, partnerships: Map<string, Partnership>): ConsoleUser {
  const defaults = tokenDefaults(partnerships)
  const principal: Principal = {
    clientId: `console-dev-${role}`,
    issuer: DEV_ISSUER,
    roles: new Set([role]),
    odsCodes: role === 'referrer' ? defaults.ods : [],
    partnerships: role === 'partnership' ? [defaults.partnership] : []
  }
  const names: Record<Role, string> = {
    operator: 'Development operator',
    partnership: `Development user, ${partnerships.get(defaults.partnership)?.name ?? defaults.partnership}`,
    referrer: 'Development referrer'
  }
  return { name: names[role], principal, via: 'development' }
}
