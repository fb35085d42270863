import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { REPO, TEST_AUDIENCE } from './gateway.ts'
import { createTestIssuer, registerTokenSource, type TestIssuer } from './tokens.ts'

/** A `node src/server.ts` (or other entry) child process. */
export interface ServerProcess {
  child: ChildProcess
  /** http://127.0.0.1:<port> */
  origin: string
  /** stdout and stderr so far */
  output: () => string
  /** resolves when the process has exited (at once if it already has) */
  exited: () => Promise<void>
  /** the trusted token issuer, when the helper configured it (tokenFor signs with it) */
  issuer?: TestIssuer
  /** the partnership ids of the server's mappings */
  partnershipIds: readonly string[]
}

/**
 * Spawns the real server (`node src/server.ts`, or `node <args>`) with the given environment
 * and resolves once it logs where it listens.
 */
export async function spawnServer (env: Record<string, string>, timeoutMs = 15_000, given?: TestIssuer, args = [path.join(REPO, 'src/server.ts')]): Promise<ServerProcess> {
  // a trusted issuer made for this process, unless the test configures its own (or production)
  // (a restarted process may be given the same issuer: its clients are then the same clients)
  const issuer = env.WORKWELL_AUTH_ISSUERS === undefined && env.NODE_ENV !== 'production' ? given ?? await createTestIssuer({ audience: TEST_AUDIENCE, alg: 'ES256' }) : undefined
  const jwksDir = issuer === undefined ? undefined : mkdtempSync(path.join(tmpdir(), 'workwell-issuer-'))
  const auth = issuer === undefined || jwksDir === undefined ? {} : { WORKWELL_AUTH_ISSUERS: `${issuer.issuer}=${issuer.writeJwks(jwksDir)}`, WORKWELL_AUTH_AUDIENCE: TEST_AUDIENCE }
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...auth, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  // the server reads the JWKS file while it runs; it goes with the process
  if (jwksDir !== undefined) child.once('exit', () => { rmSync(jwksDir, { recursive: true, force: true }) })
  let out = ''
  const exited = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    await new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
  }
  const origin = await new Promise<string>((resolve, reject) => {
    // not a wait: the deadline after which a silent server counts as failed to start
    const timer = setTimeout(() => {
      // a server that never said where it listens is not handed back, so it is stopped here
      child.kill('SIGKILL')
      reject(new Error(`server did not start: ${out.slice(-2000)}`))
    }, timeoutMs)
    const onData = (chunk: Buffer): void => {
      // keep the tail only: a server under load logs a line per request
      out = (out + chunk.toString('utf8')).slice(-100_000)
      const m = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${String(code)}): ${out.slice(-2000)}`)) })
  })
  const mappings = env.WORKWELL_MAPPINGS_DIR ?? path.join(REPO, 'mappings')
  const partnershipIds = readdirSync(mappings, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)
  if (issuer === undefined) return { child, origin, output: () => out, exited, partnershipIds }
  registerTokenSource(origin, { issuer, partnershipIds })
  return { child, origin, output: () => out, exited, issuer, partnershipIds }
}
