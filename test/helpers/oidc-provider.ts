import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'

export interface TestProvider {
  /** http://127.0.0.1:<port> */
  issuer: string
  clientId: string
  clientSecret: string
  close: () => Promise<void>
}

/**
 * A real OpenID provider on loopback (oidc-provider with its development login and consent
 * pages) with one confidential client for the console. Each account's claims are given as they
 * should reach the console; any password is accepted.
 */
export async function startTestProvider (o: { redirectUri: string, postLogoutRedirectUri: string, accounts: Record<string, Record<string, unknown>> }): Promise<TestProvider> {
  const server = createServer()
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const clientId = 'workwell-console'
  const clientSecret = 'console-secret-for-tests-only'
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [o.redirectUri], post_logout_redirect_uris: [o.postLogoutRedirectUri], token_endpoint_auth_method: 'client_secret_post' }],
    claims: { openid: ['sub'], profile: ['name'], workwell: ['roles', 'partnership', 'ods'] },
    findAccount: async (_ctx, sub) => {
      const claims = o.accounts[sub]
      return claims === undefined ? undefined : { accountId: sub, claims: () => ({ sub, ...claims }) }
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ['test-cookie-key-0123456789'] }
  })
  server.on('request', provider.callback())
  return {
    issuer,
    clientId,
    clientSecret,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}

/** The console's environment for a provider. */
export function consoleOidcEnv (p: TestProvider, redirectUri: string): Record<string, string> {
  return {
    WORKWELL_CONSOLE_OIDC_ISSUER: p.issuer,
    WORKWELL_CONSOLE_OIDC_CLIENT_ID: p.clientId,
    WORKWELL_CONSOLE_OIDC_CLIENT_SECRET: p.clientSecret,
    WORKWELL_CONSOLE_OIDC_REDIRECT_URI: redirectUri,
    WORKWELL_CONSOLE_OIDC_SCOPE: 'openid profile workwell'
  }
}
