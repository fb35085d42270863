// The few parts of oidc-provider (which ships no types) that the console's sign-in test uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface Account {
    accountId: string
    claims: (use: string, scope: string) => Promise<Record<string, unknown>> | Record<string, unknown>
  }

  export interface Configuration {
    clients?: Array<Record<string, unknown>>
    claims?: Record<string, string[]>
    findAccount?: (ctx: unknown, sub: string) => Promise<Account | undefined>
    features?: Record<string, unknown>
    pkce?: Record<string, unknown>
    cookies?: Record<string, unknown>
    [key: string]: unknown
  }

  export default class Provider {
    constructor (issuer: string, configuration?: Configuration)
    callback (): (req: IncomingMessage, res: ServerResponse) => void
  }
}
