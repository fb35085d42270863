import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// docs/performance.md: npm start gives node a young generation of at most 32 MB per semi-space
// and lets the old generation grow to 1.5× what survived the last full collection (RSS under
// full load lower and level over minutes, no CPU cost measured); the container and the bench
// must start the gateway the same way, or they measure and run something else.
describe('how the gateway is started', () => {
  const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start

  it('npm start runs src/server.ts with the young generation capped and the old one growing by half', () => {
    expect(start).toBe('node --max-semi-space-size=32 --heap-growing-percent=50 src/server.ts')
  })

  it('the container starts it with the same node flags', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1]
    expect(JSON.parse(cmd ?? '[]')).toEqual(start.split(' '))
  })
})
