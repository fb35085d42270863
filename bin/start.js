#!/usr/bin/env node
// The gateway's start (`npm start`, the Dockerfile's CMD). Node's compile cache is turned on
// before the first TypeScript module loads: on a cache warm from an earlier start of the same
// sources no module is stripped, so the process never loads Node's type stripper (10–14 MB
// resident; docs/performance.md). src/server.ts turns it on too, for a start without this file.
import { enableCompileCache } from 'node:module'

enableCompileCache()
await import('../src/server.ts')
