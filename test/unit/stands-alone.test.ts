import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * The repository explains itself: no source comment and no decision record sends a reader to
 * documents outside it (the sibling `shared` folder, its design and reference notes) or to a
 * tracker issue by number. Rationale belongs in docs/decisions/ (see its README).
 *
 * Source files are checked in their comments only: a string such as a default data folder is
 * a path the program uses, not a citation. Markdown is checked in full.
 */

const ROOT = path.resolve(import.meta.dirname, '../..')
const SOURCE_DIRS = ['src', 'bench', 'scripts']
const DOC_DIRS = ['docs/decisions']
const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/

const FORBIDDEN: ReadonlyArray<[string, RegExp]> = [
  ['a path into the sibling shared folder', /\.\.\/shared\b/],
  ['the shared reference notes', /shared\/reference/],
  ['the external design document', /DESIGN\.md/],
  ['an issue number', /\bissues? #?\d+\b/i],
  ['a reference note by path', /\breference\/[a-z0-9-]+\.md\b/],
  // by bare name; docs/console.md and other paths inside the repository stay allowed
  ['a reference note by name', /(?<![\w/.-])(domain|bars|validators|ukcore|perf|perf-node24|style|console|delivery-ops)\.md\b/]
]

function filesUnder (dir: string, keep: (file: string) => boolean): string[] {
  const abs = path.join(ROOT, dir)
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .sort()
}

/** Every comment in a source text, with its 1-based line, found by the TypeScript parser. */
function commentsOf (fileName: string, text: string): Array<{ line: number, text: string }> {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true)
  const seen = new Map<number, string>()
  const collect = (ranges: readonly ts.CommentRange[] | undefined): void => {
    for (const r of ranges ?? []) seen.set(r.pos, text.slice(r.pos, r.end))
  }
  const visit = (node: ts.Node): void => {
    collect(ts.getLeadingCommentRanges(text, node.getFullStart()))
    collect(ts.getTrailingCommentRanges(text, node.getEnd()))
    node.forEachChild(visit)
  }
  visit(source)
  collect(ts.getLeadingCommentRanges(text, source.endOfFileToken.getFullStart()))
  return [...seen].sort(([a], [b]) => a - b).map(([pos, body]) => ({ line: source.getLineAndCharacterOfPosition(pos).line + 1, text: body }))
}

/** `file:line: what it cites: the text` for each forbidden reference in a chunk of text. */
function findingsIn (file: string, line: number, text: string): string[] {
  const out: string[] = []
  text.split('\n').forEach((l, i) => {
    for (const [what, re] of FORBIDDEN) {
      if (re.test(l)) out.push(`${file}:${line + i}: cites ${what}: ${l.trim()}`)
    }
  })
  return out
}

function sourceFindings (file: string, text: string): string[] {
  return commentsOf(file, text).flatMap((c) => findingsIn(file, c.line, c.text))
}

describe('the repository stands alone', () => {
  const sources = SOURCE_DIRS.flatMap((d) => filesUnder(d, (f) => SOURCE_FILE.test(f)))
  const docs = DOC_DIRS.flatMap((d) => filesUnder(d, (f) => f.endsWith('.md')))

  it('finds the comments a citation could hide in, and ignores code and strings', () => {
    const sample = [
      "const dir = '../shared/fhir' // the data folder",
      '/**',
      ' * see DESIGN.md',
      ' */',
      'function f () { return `issue 6` } // (issue 7 profile)',
      '/* shared/reference/domain.md §2 */ export const x = 1',
      '// the console (docs/console.md) and the hazard log (docs/hazard-log.md)',
      '// UK Core (ukcore.md §2.1)'
    ].join('\n')
    expect(sourceFindings('sample.ts', sample).map((f) => f.split(': cites ')[0])).toEqual([
      'sample.ts:3', 'sample.ts:5', 'sample.ts:6', 'sample.ts:6', 'sample.ts:8'
    ])
  })

  it('has files to check', () => {
    expect(sources.length).toBeGreaterThan(50)
    expect(docs).toContain('docs/decisions/README.md')
  })

  it('no comment in src/, bench/ or scripts/ cites an outside document or an issue number', () => {
    const findings = sources.flatMap((f) => sourceFindings(f, readFileSync(path.join(ROOT, f), 'utf8')))
    expect(findings).toEqual([])
  })

  it('no decision record cites an outside document or an issue number', () => {
    const findings = docs.flatMap((f) => findingsIn(f, 1, readFileSync(path.join(ROOT, f), 'utf8')))
    expect(findings).toEqual([])
  })

  it('every decision record is listed in docs/decisions/README.md', () => {
    const index = readFileSync(path.join(ROOT, 'docs/decisions/README.md'), 'utf8')
    for (const f of docs.filter((d) => !d.endsWith('README.md'))) {
      expect(index, f).toContain(`(${path.basename(f)})`)
    }
  })

  it('every docs/decisions record a source comment points to exists', () => {
    const pointed = new Set<string>()
    for (const f of sources) {
      for (const c of commentsOf(f, readFileSync(path.join(ROOT, f), 'utf8'))) {
        for (const m of c.text.matchAll(/docs\/decisions\/([a-z0-9-]+\.md)/g)) pointed.add(`docs/decisions/${m[1]}`)
      }
    }
    expect(pointed.size).toBeGreaterThan(0)
    expect([...pointed].filter((p) => !docs.includes(p))).toEqual([])
  })
})
