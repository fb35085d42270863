import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { areaContent } from '../../../src/triage/load-triage-rules.ts'
import { MAPPINGS, REPO } from './rules-fixture.ts'

/**
 * A Task records only the version of the rules that decided it (src/triage/resolve-rules.ts),
 * so a version must always mean the same rules: a rule file changed without a new version
 * would make every Task after it lie about what decided it (docs/hazard-log.md H5).
 * mappings/rule-versions.json holds every version ever released with a hash of its content
 * (rule files and partnership.json); this test fails when a file's content no longer matches
 * its recorded version, and the gateway's start refuses it too (src/triage/load-triage-rules.ts).
 */
type History = Record<string, Record<string, string>>

const HISTORY_FILE = path.join(REPO, 'mappings', 'rule-versions.json')
const history = JSON.parse(readFileSync(HISTORY_FILE, 'utf8')) as History & { $comment?: unknown }

/**
 * The hash of a file's content: parsed and re-serialised, so line endings and indentation do
 * not count; of partnership.json only the part that decides eligibility (areaContent).
 */
function contentHash (file: string): string {
  const data: unknown = JSON.parse(readFileSync(file, 'utf8'))
  return createHash('sha256').update(JSON.stringify(file.endsWith('partnership.json') ? areaContent(data) : data)).digest('hex')
}

const files: Array<[string, string]> = [
  ['national-baseline', path.join(MAPPINGS, 'national-baseline.json')],
  ...readdirSync(MAPPINGS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e): [string, string] => [e.name, path.join(MAPPINGS, e.name, 'triage-rules.json')]),
  ...readdirSync(MAPPINGS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e): [string, string] => [`${e.name}/partnership.json`, path.join(MAPPINGS, e.name, 'partnership.json')])
]

describe('triage rule versions', () => {
  it.each(files)('%s: its version names exactly this content', (id, file) => {
    const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version: string }
    const recorded = history[id]?.[version]
    expect(recorded, `${id} ${version} is not in mappings/rule-versions.json: add "${version}": "${contentHash(file)}" under "${id}"`).toBeDefined()
    expect(contentHash(file), `${path.relative(REPO, file)} changed but its version ${version} did not: give it a new version and record it (never edit a recorded hash)`).toBe(recorded)
  })

  it('records no rule file that does not exist', () => {
    expect(Object.keys(history).filter((k) => k !== '$comment').sort()).toStrictEqual(files.map(([id]) => id).sort())
  })
})
