import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Task } from '@medplum/fhirtypes'
import { ifMatchVersion } from '../fhir/if-match.ts'
import { issue, operationOutcome, OperationOutcomeError, outcomeError } from '../fhir/operation-outcome.ts'
import { parseRequestJson } from '../fhir/parse-json.ts'
import { preferReturn } from '../fhir/prefer.ts'
import { etag, sendFhir, sendResource } from '../fhir/reply.ts'
import { MUTABLE_ELEMENTS } from '../lifecycle/apply-task-update.ts'
import { commitTaskUpdate } from '../lifecycle/commit-task-update.ts'
import { applyJsonPatch, JSON_PATCH, PATCH_LIMITS, parseJsonPatch, patchPathIssues } from '../lifecycle/json-patch.ts'
import type { StoredResource } from '../store/store.ts'
import type { RouteDeps } from './route-deps.ts'
import { callerOf, missed, requestAgent } from '../auth/request-agent.ts'
import { summariseForLog } from '../request-log.ts'
import { roles, updateScope } from '../auth/access-policy.ts'
import { HEADER, headersSchema, ID_PARAMS } from '../fhir/request-schema.ts'

const FHIR_BODY_TYPES = ['application/fhir+json', 'application/json', 'application/json+fhir']

function mediaType (header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/** Refuses a body type before it is read (RFC 9110 §15.5.16: 415). */
function requireBodyType (request: FastifyRequest, allowed: readonly string[], what: string): void {
  const type = mediaType(request.headers['content-type'])
  if (!allowed.includes(type)) {
    throw outcomeError(415, 'not-supported', `${request.method} /fhir/Task/{id} takes ${what}, not ${type === '' ? 'a body without Content-Type' : type}`, 'Content-Type')
  }
}

/** The id (checked by the params schema) and the headers PUT and PATCH read. */
const UPDATE_SCHEMA = {
  params: ID_PARAMS,
  headers: headersSchema({ 'if-match': HEADER.ifMatch, prefer: HEADER.prefer })
}

/**
 * The PUT body as a Task for this URL. R4 http.html §3.1.0.4 (update): a body without an id,
 * or with another id than the URL's, is 400; so is a body that is not a Task at all.
 */
function putBody (body: unknown, id: string): Task {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw outcomeError(400, 'structure', 'The body must be a FHIR Task JSON object', 'Task')
  }
  const { resourceType, id: bodyId } = body as { resourceType?: unknown, id?: unknown }
  if (resourceType !== 'Task') {
    throw outcomeError(400, 'invalid', `PUT /fhir/Task/${id} needs a Task, got ${typeof resourceType === 'string' ? resourceType : 'no resourceType'}`, 'Task.resourceType')
  }
  if (bodyId !== id) {
    throw outcomeError(400, 'invalid', `The body's id (${typeof bodyId === 'string' ? bodyId : 'none'}) must equal the id in the URL (${id})`, 'Task.id')
  }
  return body as Task
}

/** The stored Task at the version If-Match names: 404 when unknown, 412 when stale. */
async function currentTask (deps: RouteDeps, request: FastifyRequest, id: string, expected: string): Promise<StoredResource & { resource: Task }> {
  // only the owning partnership's Tasks are in the query: another's reads as unknown
  const stored = await deps.store.readResource('Task', id, updateScope(callerOf(request)))
  if (stored?.resource.resourceType !== 'Task') {
    missed(request, `Task/${id}`)
    throw outcomeError(404, 'not-found', `Task/${id} is not known`, 'Task.id')
  }
  if (stored.versionId !== expected) throw stale(id, expected, stored.versionId)
  return { ...stored, resource: stored.resource }
}

/** R4 http.html §3.1.0.5: a version-aware update from a version that is no longer current is 412. */
function stale (id: string, expected: string, current: string): OperationOutcomeError {
  return outcomeError(412, 'conflict', `Task/${id} is at version ${current}, not ${expected} as If-Match says; read it again and reapply the change`, 'If-Match')
}

/**
 * The shared end of PUT and PATCH: the lifecycle rules, the validator, the versioned write,
 * and the reply per Prefer.
 */
async function commit (deps: RouteDeps, request: FastifyRequest, reply: FastifyReply, current: StoredResource & { resource: Task }, proposed: Task, interaction: 'update' | 'patch'): Promise<void> {
  const result = await commitTaskUpdate(deps, { agent: requestAgent(request), correlationId: request.correlationId, interaction }, current, proposed)
  switch (result.kind) {
    case 'not-found':
      throw outcomeError(404, 'not-found', `Task/${current.id} is not known`, 'Task.id')
    case 'version-conflict':
      // another update from the same version committed between our read and our write
      throw stale(current.id, current.versionId, result.currentVersionId)
    case 'updated':
  }
  const { stored, outbox } = result
  const task = stored.resource
  const { versionId, lastUpdated } = stored
  summariseForLog(request, 'task updated', { taskId: current.id, from: current.resource.status, to: task.status, versionId, interaction, barsResponse: outbox?.id })

  reply.header('Content-Location', `${deps.config.baseUrl}/Task/${current.id}/_history/${versionId}`)
  const prefer = preferReturn(request.headers.prefer)
  if (prefer === 'minimal') {
    await reply.code(200).header('ETag', etag(versionId)).header('Last-Modified', new Date(lastUpdated).toUTCString()).send()
    return
  }
  if (prefer === 'OperationOutcome') {
    reply.header('ETag', etag(versionId)).header('Last-Modified', new Date(lastUpdated).toUTCString())
    await sendFhir(reply, operationOutcome([issue('information', 'informational',
      `Updated Task/${current.id} to version ${versionId} (${task.status})`, 'Task')]))
    return
  }
  await sendResource(reply, stored)
}

/**
 * PUT and PATCH /fhir/Task/{id}: a partnership moves its Task through the lifecycle
 * (FHIR R4 RESTful update and patch); the referrer sees the change on its next read or search.
 * Both need If-Match (428 without it, 412 when stale); the lifecycle rules decide the rest.
 */
export async function taskUpdateRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  // JSON Patch bodies get the same shape limits and poisoning checks as FHIR JSON (parse-json.ts)
  app.addContentTypeParser(JSON_PATCH, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseRequestJson(typeof body === 'string' ? body : body.toString('utf8')))
    } catch (err) {
      done(err as Error, undefined)
    }
  })

  app.put<{ Params: { id: string } }>('/fhir/Task/:id', {
    config: { access: roles('partnership'), fhir: { type: 'Task', interaction: 'update' } },
    schema: UPDATE_SCHEMA,
    onRequest: async (request) => { requireBodyType(request, FHIR_BODY_TYPES, 'a Task as application/fhir+json') }
  }, async (request, reply) => {
    const { id } = request.params
    const proposed = putBody(request.body, id)
    // the same bound as a patched Task: a whole new version is no way around it
    if (JSON.stringify(proposed).length > PATCH_LIMITS.resultBytes) {
      throw outcomeError(422, 'too-costly', `The Task is larger than ${PATCH_LIMITS.resultBytes} characters of JSON`, 'Task')
    }
    const current = await currentTask(deps, request, id, ifMatchVersion(request.headers['if-match']))
    await commit(deps, request, reply, current, proposed, 'update')
  })

  app.patch<{ Params: { id: string } }>('/fhir/Task/:id', {
    config: { access: roles('partnership'), fhir: { type: 'Task', interaction: 'patch' } },
    schema: UPDATE_SCHEMA,
    // FHIRPath Patch (a Parameters body as application/fhir+json) is not supported: 415
    onRequest: async (request) => { requireBodyType(request, [JSON_PATCH], `a JSON Patch as ${JSON_PATCH} (RFC 6902)`) }
  }, async (request, reply) => {
    const { id } = request.params
    const operations = parseJsonPatch(request.body)
    const refused = patchPathIssues('Task', operations, MUTABLE_ELEMENTS)
    if (refused.length > 0) throw new OperationOutcomeError(422, refused)
    const current = await currentTask(deps, request, id, ifMatchVersion(request.headers['if-match']))
    await commit(deps, request, reply, current, applyJsonPatch(current.resource, operations), 'patch')
  })
}
