import { readFile, stat } from 'node:fs/promises'
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes'
import type { Config } from './config.ts'
import { hasErrors, issue } from './fhir/operation-outcome.ts'
import { createIgValidator, IgLoadError } from './ig/load-ig.ts'

export const VALIDATE_USAGE = `  validate [--ig DIR]... [--profile URL] FILE...
                             validate FHIR JSON files against base R4, the WorkWell profiles and the
                             StructureDefinitions, ValueSets and CodeSystems in each DIR (each file's
                             meta.profile selects, --profile adds one for every file); prints one
                             OperationOutcome (one JSON line) per file; exit 0 all valid, 1 any invalid`

type Out = (line: string) => void

/** The arguments of `validate`, or what is wrong with them. */
export function parseValidateArgs (args: readonly string[]): { igDirs: string[], files: string[], profile?: string } | { error: string } {
  const igDirs: string[] = []
  const files: string[] = []
  let profile: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (arg === '--ig') {
      const dir = args[i + 1]
      if (dir === undefined || dir.startsWith('--')) return { error: '--ig needs a folder' }
      igDirs.push(dir)
      i++
    } else if (arg.startsWith('--ig=')) {
      igDirs.push(arg.slice('--ig='.length))
    } else if (arg === '--profile') {
      const url = args[i + 1]
      if (url === undefined || url.startsWith('--')) return { error: '--profile needs a canonical URL' }
      if (profile !== undefined) return { error: '--profile may be given once' }
      profile = url
      i++
    } else if (arg === '--') {
      files.push(...args.slice(i + 1))
      break
    } else if (arg.startsWith('-') && arg !== '-') {
      return { error: `unknown option ${arg}` }
    } else {
      files.push(arg)
    }
  }
  if (files.length === 0) return { error: 'no FILE to validate' }
  return profile === undefined ? { igDirs, files } : { igDirs, files, profile }
}

/** Names the file in the OperationOutcome's narrative (R4 narrative.html), where a reader of the output looks for it. */
function outcomeFor (file: string, issues: OperationOutcomeIssue[]): OperationOutcome {
  const errors = issues.filter((i) => hasErrors([i])).length
  const verdict = errors === 0 ? 'valid' : `invalid, ${errors} error${errors === 1 ? '' : 's'}`
  // OperationOutcome.issue is 1..*: a clean file still gets one, saying so.
  const all = issues.length > 0 ? issues : [issue('information', 'informational', `${file} is valid`)]
  const escaped = file.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  return {
    // every issue of a local file: the cap of operationOutcome is for answers over HTTP
    resourceType: 'OperationOutcome',
    issue: all,
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${escaped}: ${verdict}</div>` }
  }
}

/**
 * `workwell validate [--ig DIR]... FILE...`: the gateway's validator (the same engine as every
 * write and $validate) over each file, against base R4, the WorkWell profiles, and the
 * conformance resources of each --ig folder; a resource's meta.profile selects its profiles, and
 * --profile names one more for every file (as $validate's profile parameter does).
 * Prints one OperationOutcome per file, as one JSON line, in the order given. A file that is
 * not JSON is reported in its OperationOutcome like any invalid resource.
 * @returns 0 when every file is valid, 1 when any is not, 2 on a usage error (bad arguments, a
 *   FILE or DIR that cannot be read, an IG whose profiles cannot be used)
 */
export async function runValidateCommand (args: string[], io: { config: Pick<Config, 'profilesDir'>, out: Out, err: Out }): Promise<number> {
  const { out, err } = io
  const parsed = parseValidateArgs(args)
  if ('error' in parsed) {
    err(`workwell validate: ${parsed.error}`)
    err(`usage: workwell${VALIDATE_USAGE}`)
    return 2
  }
  for (const file of parsed.files) {
    const isFile = await stat(file).then((s) => s.isFile(), () => false)
    if (!isFile) {
      err(`workwell validate: ${file} is not a readable file`)
      return 2
    }
  }
  let validator
  try {
    const built = await createIgValidator(io.config.profilesDir, parsed.igDirs)
    validator = built.validator
    for (const s of built.skipped) err(`workwell validate: skipped ${s}`)
  } catch (e) {
    if (e instanceof IgLoadError) {
      err(`workwell validate: ${e.message}`)
      return 2
    }
    throw e
  }
  let invalid = 0
  for (const file of parsed.files) {
    let issues: OperationOutcomeIssue[]
    try {
      const resource: unknown = JSON.parse(await readFile(file, 'utf8'))
      issues = validator.validate(resource, parsed.profile === undefined ? undefined : { profile: parsed.profile })
    } catch (e) {
      issues = [issue('fatal', 'structure', `${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`)]
    }
    if (hasErrors(issues)) invalid++
    out(JSON.stringify(outcomeFor(file, issues)))
  }
  return invalid === 0 ? 0 : 1
}
