import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'
import { ConfigError, type Config } from '../config.ts'
import type { IssuerConfig } from './auth-config.ts'
import { CLAIMS, ROLE_SCOPES, type Role } from './principal.ts'

/** The issuer of tokens minted with the development key; never trusted in production. */
export const DEV_ISSUER = 'urn:workwell:dev'

export interface DevKeyFiles {
  /** the private signing key (JWK), readable by its owner only */
  privateKey: string
  /** the public key set the gateway verifies with */
  jwks: string
}

export function devKeyFiles (dataDir: string): DevKeyFiles {
  const dir = path.join(dataDir, 'auth')
  return { privateKey: path.join(dir, 'dev-signing-key.jwk.json'), jwks: path.join(dir, 'dev-jwks.json') }
}

/** Reads the development signing key from the data folder, creating it (ES256) the first time. */
export async function ensureDevSigningKey (dataDir: string): Promise<JWK> {
  const files = devKeyFiles(dataDir)
  try {
    return JSON.parse(await readFile(files.privateKey, 'utf8')) as JWK
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = randomUUID()
  const priv = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' }
  const pub = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  await mkdir(path.dirname(files.privateKey), { recursive: true })
  // 'wx': of two processes starting at once, one writes and the other reads the winner's key
  try {
    await writeFile(files.privateKey, JSON.stringify(priv), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return JSON.parse(await readFile(files.privateKey, 'utf8')) as JWK
    throw err
  }
  await writeFile(files.jwks, JSON.stringify({ keys: [pub] }, null, 2))
  return priv
}

/**
 * The issuers the gateway trusts: the configured ones, or outside production the development
 * key in the data folder. NODE_ENV=production without issuers stops the start.
 */
export async function effectiveIssuers (config: Config): Promise<{ issuers: IssuerConfig[], devKey?: JWK }> {
  const { security } = config
  if (security.issuers.length > 0) return { issuers: security.issuers }
  if (security.production) {
    const named = security.nodeEnv === undefined || security.nodeEnv === 'production' ? 'NODE_ENV=production' : `NODE_ENV=${JSON.stringify(security.nodeEnv)} is not development (unset, development or test), so it`
    throw new ConfigError('WORKWELL_AUTH_ISSUERS', `${named} needs at least one trusted token issuer; development tokens are only made when NODE_ENV is unset, development or test`)
  }
  const devKey = await ensureDevSigningKey(config.dataDir)
  return { issuers: [{ issuer: DEV_ISSUER, jwks: { kind: 'file', path: devKeyFiles(config.dataDir).jwks } }], devKey }
}

export interface TokenRequest {
  roles: readonly Role[]
  clientId: string
  ods?: readonly string[]
  partnerships?: readonly string[]
  audience: string
  issuer: string
  ttlSeconds: number
  now: Date
}

/** Signs a bearer token with the claims principal.ts reads (scope, ods, partnership). */
export async function mintToken (privateJwk: JWK, req: TokenRequest): Promise<string> {
  const alg = typeof privateJwk.alg === 'string' ? privateJwk.alg : 'ES256'
  const key = await importJWK(privateJwk, alg)
  const iat = Math.floor(req.now.getTime() / 1000)
  const claims: Record<string, unknown> = { scope: req.roles.map((r) => ROLE_SCOPES[r]).join(' '), client_id: req.clientId }
  if (req.ods !== undefined && req.ods.length > 0) claims[CLAIMS.ods] = [...req.ods]
  if (req.partnerships !== undefined && req.partnerships.length > 0) claims[CLAIMS.partnership] = [...req.partnerships]
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'JWT', ...(typeof privateJwk.kid === 'string' ? { kid: privateJwk.kid } : {}) })
    .setIssuer(req.issuer)
    .setAudience(req.audience)
    .setSubject(req.clientId)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + req.ttlSeconds)
    .setJti(randomUUID())
    .sign(key)
}
