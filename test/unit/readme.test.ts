import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_VARIABLES } from '../../src/config.ts'

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8')
const configuration = readFileSync(path.resolve(import.meta.dirname, '../../docs/configuration.md'), 'utf8')

describe('README', () => {
  it('documents every configuration variable with its default (docs/configuration.md), and no other', () => {
    for (const v of CONFIG_VARIABLES) {
      expect(configuration, v.name).toContain(`| \`${v.name}\` | \`${v.default}\` |`)
    }
    const documented = [...configuration.matchAll(/^\| `([A-Z_<>]+)` \|/gm)].map((m) => m[1])
    expect(documented.sort()).toStrictEqual(CONFIG_VARIABLES.map((v) => v.name).sort())
  })

  it('stays a short read: at most 300 lines', () => {
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(300)
  })

  it('keeps the quick start to the two commands', () => {
    expect(readme).toContain('npm install && npm start')
    expect(readme).toContain('npm test')
  })
})
