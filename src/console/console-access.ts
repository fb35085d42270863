import type { RouteAccess } from '../auth/access-policy.ts'

/**
 * The console's routes, as the auth plugin sees them: public to bearer-token authentication,
 * because a person signs in to the console with a server-side session instead (no token ever
 * reaches the browser). Each page checks that session and its role itself
 * (console-routes.ts), with the same scoped reads and the same write path as the API.
 */
export const CONSOLE_ROUTE: { config: { access: RouteAccess } } = { config: { access: 'public' } }
