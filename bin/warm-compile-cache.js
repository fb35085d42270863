#!/usr/bin/env node
// Fills Node's compile cache (NODE_COMPILE_CACHE, else the OS temp folder) with every module the
// gateway loads, main thread and SQLite writer thread alike, by starting it once on a throwaway
// data folder and stopping it once it is ready. The container image runs this at build time, so
// that its every start is a warm one and loads no type stripper (bin/start.js). The gateway is
// started with this process's node flags: V8 keeps a module's compiled code only for the flags
// it was compiled with.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const repo = path.resolve(import.meta.dirname, '..')
const dataDir = mkdtempSync(path.join(tmpdir(), 'workwell-warm-'))
const child = spawn(process.execPath, [...process.execArgv, path.join(repo, 'bin/start.js')], {
  cwd: repo,
  // development: a throwaway signing key instead of configured issuers; nothing is delivered
  env: { ...process.env, NODE_ENV: 'development', HOST: '127.0.0.1', PORT: '0', WORKWELL_DATA_DIR: dataDir, WORKWELL_DELIVERY_ENABLED: 'false', LOG_LEVEL: 'info' },
  // the development tokens it prints go nowhere: they are for a key thrown away below
  stdio: ['ignore', 'pipe', 'ignore']
})
const exited = new Promise((resolve) => { child.once('exit', (code) => { resolve(code) }) })
const give = setTimeout(() => { child.kill('SIGKILL') }, 60_000)
let out = ''
child.stdout.on('data', (d) => {
  out += d.toString('utf8')
  const origin = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]
  if (origin === undefined) return
  child.stdout.removeAllListeners('data')
  child.stdout.resume()
  // ready means the store is open: the writer thread has loaded its modules too
  const poll = () => fetch(`${origin}/health/ready`).then((r) => r.status === 200, () => false)
    .then((ready) => { if (ready) child.kill('SIGTERM'); else setTimeout(poll, 20) })
  poll().catch(() => { child.kill('SIGKILL') })
})
const code = await exited
clearTimeout(give)
rmSync(dataDir, { recursive: true, force: true })
if (code !== 0) {
  process.stderr.write(`warm-compile-cache: the gateway exited with ${code} before it was ready and stopped:\n${out.slice(-2000)}\n`)
  process.exit(1)
}
