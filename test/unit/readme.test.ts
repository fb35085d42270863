import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_VARIABLES } from '../../src/config.ts'

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8')

describe('README', () => {
  it('documents every configuration variable with its default', () => {
    for (const v of CONFIG_VARIABLES) {
      expect(readme, v.name).toContain(`| \`${v.name}\` | \`${v.default}\` |`)
    }
  })

  it('keeps the quick start to the two commands', () => {
    expect(readme).toContain('npm install && npm start')
    expect(readme).toContain('npm test')
  })
})
