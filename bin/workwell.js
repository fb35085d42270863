#!/usr/bin/env node
// Thin shim: the CLI is TypeScript run by Node 24's type stripping (no build step), through
// Node's compile cache (bin/start.js says why).
import { enableCompileCache } from 'node:module'

enableCompileCache()
import('../src/cli.ts').then((m) => m.main(process.argv.slice(2))).then((code) => { process.exitCode = code })
