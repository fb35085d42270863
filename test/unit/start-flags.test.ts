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

  it('npm start runs src/server.ts with two malloc arenas, the young generation capped and the old one growing by half', () => {
    expect(start).toBe('MALLOC_ARENA_MAX=2 node --max-semi-space-size=16 --heap-growing-percent=50 src/server.ts')
  })

  it('the container starts it with the same node flags and the same environment', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1]
    expect(JSON.parse(cmd ?? '[]')).toEqual(start.split(' ').slice(1))
    expect(dockerfile).toMatch(/^\s+MALLOC_ARENA_MAX=2 \\$/m)
  })

  it('the bench reads both from npm start', () => {
    const { command, env } = gatewayStart()
    expect(env).toEqual({ MALLOC_ARENA_MAX: '2' })
    expect(command.slice(1, -1)).toEqual(['--max-semi-space-size=16', '--heap-growing-percent=50'])
    expect(command.at(-1)).toMatch(/\/src\/server\.ts$/)
  })
})
