import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { requesterOdsOfBody } from './access-policy.ts'
import { parseArgs } from 'node:util'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { Partnership } from '../routing/partnership.ts'
import { DEV_ISSUER, ensureDevSigningKey, mintToken } from './dev-keys.ts'
import { ROLES, type Role } from './principal.ts'

export const TOKEN_USAGE = `  token --role referrer|partnership|operator [--ods CODE] [--partnership ID] [--client ID] [--ttl SECONDS]
                             mint a development bearer token (repeat --role for several roles);
                             never in production`

type Out = (line: string) => void

/**
 * Default bindings for a development token: every pilot practice (so any fixture referral can
 * be sent) and the first partnership.
 */
export interface TokenDefaults {
  ods: string[]
  partnership: string
}

export function tokenDefaults (partnerships: Map<string, Partnership>, fixturesDir?: string): TokenDefaults {
  const listed = [...partnerships.values()].flatMap((p) => p.practices)
  const practices = [...new Set([...listed, ...(fixturesDir === undefined ? [] : fixturePractices(fixturesDir))])].sort()
  return { ods: practices.length > 0 ? practices : ['A81001'], partnership: [...partnerships.keys()][0] ?? 'workwell' }
}

/**
 * The practices the shipped example referrals come from (their requesters' ODS codes), so a
 * development referrer token can post every one of them; some pilots list no practices.
 * A missing folder or an unreadable file adds nothing: this is a convenience for development.
 */
export function fixturePractices (fixturesDir: string): string[] {
  const dir = path.join(fixturesDir, 'referrals')
  if (!existsSync(dir)) return []
  const codes: string[] = []
  for (const area of readdirSync(dir, { withFileTypes: true })) {
    if (!area.isDirectory()) continue
    for (const file of readdirSync(path.join(dir, area.name)).filter((f) => f.endsWith('.json'))) {
      try {
        const body: unknown = JSON.parse(readFileSync(path.join(dir, area.name, file), 'utf8'))
        for (const ods of requesterOdsOfBody(body)) if (ods !== null) codes.push(ods)
      } catch {
        // not an example referral: skipped
      }
    }
  }
  return codes
}

/**
 * Tokens for a referrer, a partnership and an operator, signed with the development key: what
 * `npm start` prints in development so the gateway can be called at once.
 */
export async function devTokens (config: Config, defaults: TokenDefaults, now: Date): Promise<Record<Role, string>> {
  const key = await ensureDevSigningKey(config.dataDir)
  const base = { audience: config.security.audience, issuer: DEV_ISSUER, ttlSeconds: 12 * 3600, now }
  return {
    referrer: await mintToken(key, { ...base, roles: ['referrer'], clientId: 'dev-referrer', ods: defaults.ods }),
    partnership: await mintToken(key, { ...base, roles: ['partnership'], clientId: 'dev-partnership', partnerships: [defaults.partnership] }),
    operator: await mintToken(key, { ...base, roles: ['operator'], clientId: 'dev-operator' })
  }
}

/**
 * `workwell token --role ROLE ...`: prints one development token on stdout (so
 * `TOKEN=$(npx workwell token --role referrer)` works). Exit 0 printed, 2 usage, 78 refused
 * (production, or issuers configured: their keys are not ours to sign with).
 */
export async function runTokenCommand (args: string[], io: { config: Config, out: Out, err: Out, clock: Clock, defaults: () => Promise<TokenDefaults> }): Promise<number> {
  const { config, out, err } = io
  let values
  try {
    ({ values } = parseArgs({
      args,
      options: {
        role: { type: 'string', multiple: true },
        ods: { type: 'string', multiple: true },
        partnership: { type: 'string', multiple: true },
        client: { type: 'string' },
        ttl: { type: 'string' }
      },
      strict: true,
      allowPositionals: false
    }))
  } catch (e) {
    err(`${(e as Error).message}\nusage: workwell\n${TOKEN_USAGE}`)
    return 2
  }
  const roles = (values.role ?? []).flatMap((r) => r.split(','))
  if (roles.length === 0 || roles.some((r) => !(ROLES as readonly string[]).includes(r))) {
    err(`usage: workwell\n${TOKEN_USAGE}`)
    return 2
  }
  const ttl = values.ttl === undefined ? 12 * 3600 : Number(values.ttl)
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 30 * 86_400) {
    err('--ttl must be a whole number of seconds, up to 30 days')
    return 2
  }
  if (config.security.production) {
    err('workwell token: refused: NODE_ENV=production never mints tokens; ask the identity provider')
    return 78
  }
  if (config.security.issuers.length > 0) {
    err('workwell token: refused: WORKWELL_AUTH_ISSUERS is set, so the gateway trusts those issuers, not the development key')
    return 78
  }
  const defaults = await io.defaults()
  const chosen = [...new Set(roles)] as Role[]
  const key = await ensureDevSigningKey(config.dataDir)
  const token = await mintToken(key, {
    roles: chosen,
    clientId: values.client ?? `dev-${chosen.join('-')}`,
    ...(chosen.includes('referrer') ? { ods: values.ods ?? defaults.ods } : {}),
    ...(chosen.includes('partnership') ? { partnerships: values.partnership ?? [defaults.partnership] } : {}),
    audience: config.security.audience,
    issuer: DEV_ISSUER,
    ttlSeconds: ttl,
    now: io.clock.now()
  })
  out(token)
  return 0
}
