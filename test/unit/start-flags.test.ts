import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { gatewayStart } from '../../bench/intake.ts'

// docs/performance.md: npm start gives node a young generation of at most 16 MB per semi-space,
// lets the old generation grow to 1.5× what survived the last full collection, and caps glibc's
// malloc arenas at two (RSS under full load lower and level over minutes; what each cost in CPU
// is measured there);
// the container and the bench must start the gateway the same way, or they measure and run
// something else.
describe('how the gateway is started', () => {
  const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start
  const dockerfile = readFileSync('Dockerfile', 'utf8')

  it('npm start runs bin/start.js with two malloc arenas, the young generation capped and the old one growing by half', () => {
    expect(start).toBe('MALLOC_ARENA_MAX=2 node --max-semi-space-size=16 --heap-growing-percent=50 bin/start.js')
  })

  it('the container starts it with the same node flags and the same environment', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1]
    expect(JSON.parse(cmd ?? '[]')).toEqual(start.split(' ').slice(1))
    expect(dockerfile).toMatch(/^\s+MALLOC_ARENA_MAX=2 \\$/m)
  })

  // bin/start.js: a container start is a warm one only if the image filled the cache it reads
  it('the container fills the compile cache it starts with, at build time', () => {
    const cache = /^\s+NODE_COMPILE_CACHE=(\S+)$/m.exec(dockerfile)?.[1]
    expect(cache).toMatch(/^\/app\//)
    const warmWith = /^RUN node (.*) bin\/warm-compile-cache\.js/m.exec(dockerfile)
    expect(warmWith?.[1]?.split(' ')).toEqual(start.split(' ').slice(2, -1))
    const warm = warmWith?.index ?? -1
    expect(warm).toBeGreaterThan(dockerfile.indexOf('COPY src ./src'))
    expect(warm).toBeLessThan(dockerfile.indexOf('USER node'))
    // Node writes its cache entries readable by their owner only: root's would be a cold cache
    expect(dockerfile.slice(warm)).toMatch(/^RUN node [^\n]*\\\n\s+&& chown -R node:node "\$NODE_COMPILE_CACHE"$/m)
  })

  it('the bench reads both from npm start', () => {
    const { command, env } = gatewayStart()
    expect(env).toEqual({ MALLOC_ARENA_MAX: '2' })
    expect(command.slice(1, -1)).toEqual(['--max-semi-space-size=16', '--heap-growing-percent=50'])
    expect(command.at(-1)).toMatch(/\/bin\/start\.js$/)
  })
})
