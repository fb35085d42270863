import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Bundle, ServiceRequest, Task } from '@medplum/fhirtypes'
import type { Config } from '../config.ts'
import { OperationOutcomeError } from '../fhir/operation-outcome.ts'
import { parseTransaction } from '../fhir/transaction-bundle.ts'
import { loadAreaPartnerships } from '../routing/load-partnerships.ts'
import { loadDecisionTables } from '../referral/load-decision-tables.ts'
import { MappingFieldError } from './evaluate-fields.ts'
import { inlineStoredResources } from './inline-resources.ts'
import { loadMapping } from './load-mapping.ts'
import { mapReferral } from './map-referral.ts'
import type { MapInput, MapResult } from './mapping.ts'
import { previewTask } from './preview-task.ts'

const SYNOPSIS = 'map PARTNERSHIP FILE [--task TASK]'

/** Writes one line of output. */
type Out = (line: string) => void

/** What the command needs from the configuration, and the clock for the preview triage. */
export interface MapCommandContext {
  config: Pick<Config, 'mappingsDir' | 'partnerUrls'>
  out: Out
  err: Out
  now?: Date
}

/** A problem with the invocation or its files: exit code 2. */
class UsageError extends Error {}

/**
 * `workwell map PARTNERSHIP FILE [--task TASK]`: maps a referral with the partnership's
 * mapping and prints the result (JSON pretty-printed, CSV as is); nothing is stored or sent.
 * FILE is a ServiceRequest with its resources contained, or a referral transaction Bundle.
 * Without --task the referral is triaged as the gateway would (previewTask) to make the Task.
 * @param args - the arguments after `map`
 * @returns 0 mapped; 1 the mapping cannot be filled (the missing fields go to err); 2 usage
 */
export async function runMapCommand (args: string[], ctx: MapCommandContext): Promise<number> {
  try {
    return await mapCommand(args, ctx)
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.err(`map: ${e.message}`)
      ctx.err(`usage: workwell ${SYNOPSIS}`)
      return 2
    }
    throw e
  }
}

async function mapCommand (args: string[], ctx: MapCommandContext): Promise<number> {
  const { partnershipId, file, taskFile } = parseArgs(args)
  const partnerships = await loadAreaPartnerships(ctx.config)
  const partnership = partnerships.get(partnershipId)
  if (partnership === undefined) {
    throw new UsageError(`unknown partnership '${partnershipId}' (see: workwell partnerships)`)
  }
  const mapping = await loadMapping(join(ctx.config.mappingsDir, partnershipId))
  const now = ctx.now ?? new Date()

  const referral = referralOf(await readJson(file))
  let task: Task
  if (taskFile === undefined) {
    const preview = previewTask({
      serviceRequest: referral.serviceRequest,
      partnership,
      tables: await loadDecisionTables(ctx.config.mappingsDir, partnerships.values()),
      now,
      taskId: 'preview',
      ...(referral.patient === undefined ? {} : { patient: referral.patient })
    })
    if (preview.routeNote !== undefined) ctx.err(`note: ${preview.routeNote}`)
    task = preview.task
  } else {
    const read = await readJson(taskFile)
    if (!isResource(read, 'Task')) throw new UsageError(`${taskFile} is not a Task`)
    task = read as Task
  }

  const input: MapInput = { serviceRequest: referral.serviceRequest, task }
  let result: MapResult
  try {
    result = mapReferral(mapping, input)
  } catch (e) {
    if (e instanceof MappingFieldError) {
      ctx.err(`mapping ${partnershipId} cannot be applied: ${e.message}`)
      return 1
    }
    throw e
  }
  if (!result.ok) {
    ctx.err(`cannot map for ${partnershipId}: missing required field(s) ${result.missing.join(', ')}`)
    return 1
  }
  ctx.out(mapping.format === 'csv' ? result.body.replace(/\r\n$/, '') : JSON.stringify(JSON.parse(result.body), null, 2))
  return 0
}

function parseArgs (args: string[]): { partnershipId: string, file: string, taskFile?: string } {
  const positional: string[] = []
  let taskFile: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (arg === '--task') {
      taskFile = args[++i]
      if (taskFile === undefined) throw new UsageError('--task needs a file')
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`)
    } else {
      positional.push(arg)
    }
  }
  const [partnershipId, file, ...extra] = positional
  if (partnershipId === undefined || file === undefined || extra.length > 0) {
    throw new UsageError('expected a partnership id and one file')
  }
  return { partnershipId, file, ...(taskFile === undefined ? {} : { taskFile }) }
}

async function readJson (file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`${file} is not JSON`)
  }
}

function isResource (value: unknown, type: string): boolean {
  return typeof value === 'object' && value !== null && (value as { resourceType?: unknown }).resourceType === type
}

/**
 * The ServiceRequest to map, as the delivery worker would see it: a contained-style one as
 * is (id 'preview' when it has none); a transaction Bundle with ids assigned and the
 * separate resources inlined, and Task.for pointing at its Patient as the intake sets it.
 */
function referralOf (value: unknown): { serviceRequest: ServiceRequest, patient?: { reference: string, type: 'Patient' } } {
  if (isResource(value, 'ServiceRequest')) {
    const sr = value as ServiceRequest
    return { serviceRequest: { ...sr, id: sr.id ?? 'preview' } }
  }
  if (isResource(value, 'Bundle')) {
    let n = 0
    let parsed: ReturnType<typeof parseTransaction>
    try {
      parsed = parseTransaction(value as Bundle, () => `preview-${++n}`)
    } catch (e) {
      if (e instanceof OperationOutcomeError) {
        throw new UsageError(`not a referral transaction: ${e.issues.map((i) => i.diagnostics ?? i.code).join('; ')}`)
      }
      throw e
    }
    const sr = parsed.resolved.find((r) => r.resourceType === 'ServiceRequest' && r.id === parsed.serviceRequestId) as ServiceRequest
    return {
      serviceRequest: inlineStoredResources(sr, parsed.resolved),
      patient: { reference: `Patient/${parsed.patientId}`, type: 'Patient' }
    }
  }
  throw new UsageError('FILE must be a ServiceRequest or a transaction Bundle')
}
