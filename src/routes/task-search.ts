import type { FastifyInstance } from 'fastify'
import type { Bundle } from '@medplum/fhirtypes'
import { auditRecord } from '../audit/audit-record.ts'
import { outcomeError } from '../fhir/operation-outcome.ts'
import { preferStrictHandling } from '../fhir/prefer.ts'
import { sendFhir } from '../fhir/reply.ts'
import { parseInstantRange } from '../store/fhir-instant.ts'
import type { TaskQuery } from '../store/store.ts'
import type { RouteDeps } from './route-deps.ts'
import { IDENTIFIER_SEARCH_PARAM, referenceOfIdentifierParam } from '../reference/identifier-search.ts'
import { REFERRAL_REFERENCE_SYSTEM } from '../reference/referral-reference.ts'
import { callerOf, requestAgent } from '../auth/request-agent.ts'
import { readScope, roles } from '../auth/access-policy.ts'
import { countParam, HEADER, headersSchema, isFhirId, ONCE, REPEATABLE, searchQuery } from '../fhir/request-schema.ts'

const SEARCH_PARAMS = [
  { name: 'based-on', type: 'reference', documentation: 'ServiceRequest/{id} the Task is based on' },
  { name: 'owner', type: 'reference', documentation: 'Organization/{partnership id} that owns the Task' },
  { name: 'status', type: 'token', documentation: 'Task.status' },
  IDENTIFIER_SEARCH_PARAM,
  { name: '_lastUpdated', type: 'date', documentation: 'eq, gt, ge, lt, le on meta.lastUpdated; repeatable' },
  { name: '_count', type: 'number', documentation: 'page size, 1 to 100 (default 20)' }
] as const

/** a Task's meta.lastUpdated as the store writes it (toISOString) */
const STORED_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const TASK_STATUS = ['draft', 'requested', 'received', 'accepted', 'rejected', 'ready', 'cancelled', 'in-progress', 'on-hold', 'failed', 'completed', 'entered-in-error'] as const

/** The query as the schema leaves it: each value checked, _count and _offset numbers, _lastUpdated a list. */
const QUERY_SCHEMA = searchQuery({
  'based-on': ONCE,
  owner: ONCE,
  status: { type: 'string', enum: TASK_STATUS },
  identifier: ONCE,
  _lastUpdated: REPEATABLE,
  _count: countParam(100),
  _offset: { type: 'integer', minimum: 0 },
  _cursor: ONCE
})

const KNOWN = new Set<string>(Object.keys(QUERY_SCHEMA.properties))

interface Query {
  'based-on'?: string
  owner?: string
  status?: string
  identifier?: string
  _lastUpdated?: string[]
  _count?: number
  _offset?: number
  _cursor?: string
  [other: string]: unknown
}

function reference (value: string | undefined, type: string, name: string): string | undefined {
  if (value === undefined) return undefined
  const id = value.startsWith(`${type}/`) ? value.slice(type.length + 1) : value
  if (!isFhirId(id)) throw outcomeError(400, 'invalid', `${name} must be ${type}/{id}`, name)
  return id
}

/** Checks each _lastUpdated value; the store applies FHIR's precision rule (R4 search.html#prefix). */
function lastUpdated (values: string[]): TaskQuery['lastUpdated'] {
  return values.map((raw) => {
    const m = /^(eq|gt|ge|lt|le)?(.+)$/.exec(raw)
    const value = m?.[2] ?? ''
    try {
      parseInstantRange(value)
    } catch {
      throw outcomeError(400, 'invalid', `_lastUpdated "${raw}" is not a FHIR date search value`, '_lastUpdated')
    }
    return { prefix: (m?.[1] ?? 'eq') as 'eq' | 'gt' | 'ge' | 'lt' | 'le', value }
  })
}

function parse (q: Query, strict: boolean): TaskQuery {
  if (strict) {
    const unknown = Object.keys(q).filter((k) => !KNOWN.has(k))
    if (unknown.length > 0) throw outcomeError(400, 'not-supported', `Unknown search parameter ${unknown.join(', ')}`, unknown)
  }
  const query: TaskQuery = { count: q._count ?? 20, offset: q._offset ?? 0 }
  const basedOn = reference(q['based-on'], 'ServiceRequest', 'based-on')
  if (basedOn !== undefined) query.basedOn = `ServiceRequest/${basedOn}`
  const owner = reference(q.owner, 'Organization', 'owner')
  if (owner !== undefined) query.owner = owner
  if (q.status !== undefined) query.status = q.status
  // a reference that is none of ours matches no Task: '' is never a stored reference
  if (q.identifier !== undefined) query.reference = referenceOfIdentifierParam(q.identifier) ?? ''
  if (q._lastUpdated !== undefined) query.lastUpdated = lastUpdated(q._lastUpdated)
  if (q._cursor !== undefined) {
    if (q._offset !== undefined) throw outcomeError(400, 'invalid', '_cursor and _offset cannot be combined', '_cursor')
    query.after = decodeCursor(q._cursor)
  }
  return query
}

/**
 * The next-page cursor: the (lastUpdated, id) of the last Task on this page, opaque to clients.
 * Paging by position (_offset) would skip a Task whenever one on an earlier page changes
 * meanwhile (it moves to the end of the lastUpdated order) — exactly what a partnership does
 * when it accepts the Tasks of page 1 before it reads page 2.
 */
function encodeCursor (task: { lastUpdated: string, id: string }): string {
  return Buffer.from(`${task.lastUpdated}|${task.id}`, 'utf8').toString('base64url')
}

function decodeCursor (raw: string): { lastUpdated: string, id: string } {
  const [lastUpdated = '', id = '', ...rest] = Buffer.from(raw, 'base64url').toString('utf8').split('|')
  if (rest.length > 0 || !STORED_INSTANT.test(lastUpdated) || !isFhirId(id)) {
    throw outcomeError(400, 'invalid', '_cursor is not a cursor this server gave out; start again from the first page', '_cursor')
  }
  return { lastUpdated, id }
}

function selfQuery (q: TaskQuery, offset: number, cursor?: string): string {
  const params = new URLSearchParams()
  if (q.basedOn !== undefined) params.append('based-on', q.basedOn)
  if (q.owner !== undefined) params.append('owner', `Organization/${q.owner}`)
  if (q.status !== undefined) params.append('status', q.status)
  if (q.reference !== undefined) params.append('identifier', `${REFERRAL_REFERENCE_SYSTEM}|${q.reference}`)
  for (const l of q.lastUpdated ?? []) params.append('_lastUpdated', `${l.prefix}${l.value}`)
  params.append('_count', String(q.count))
  if (offset > 0) params.append('_offset', String(offset))
  if (cursor !== undefined) params.append('_cursor', cursor)
  return params.toString()
}

export async function taskSearchRoutes (app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.get('/fhir/Task', {
    config: { access: roles('referrer', 'partnership'), fhir: { type: 'Task', interaction: 'search-type', searchParams: SEARCH_PARAMS.map((p) => ({ ...p })) } },
    schema: { querystring: QUERY_SCHEMA, headers: headersSchema({ prefer: HEADER.prefer }) }
  }, async (request, reply) => {
    const query = parse(request.query as Query, preferStrictHandling(request.headers.prefer))
    // the caller's scope is part of the query: only its Tasks are matched, counted and paged,
    // so the total and the cursor come from nothing it may not see.
    // One more than the page: whether it exists says whether there is a next page.
    const result = await deps.store.searchTasks({ ...query, count: query.count + 1, scope: readScope(callerOf(request)) })
    const tasks = result.tasks.slice(0, query.count)
    const base = `${deps.config.baseUrl}/Task`
    const link: NonNullable<Bundle['link']> = [{ relation: 'self', url: `${base}?${selfQuery(query, query.offset, query.after === undefined ? undefined : encodeCursor(query.after))}` }]
    const last = tasks.at(-1)
    if (result.tasks.length > query.count && last !== undefined) {
      link.push({ relation: 'next', url: `${base}?${selfQuery(query, 0, encodeCursor(last))}` })
    }
    if (query.offset > 0) {
      link.push({ relation: 'previous', url: `${base}?${selfQuery(query, Math.max(0, query.offset - query.count))}` })
    }
    await deps.store.appendAudit(auditRecord(deps.newId(), deps.clock.now(), {
      action: 'E', subtype: 'search', agent: requestAgent(request), entity: 'Task', correlationId: request.correlationId
    }))
    const bundle: Bundle = {
      resourceType: 'Bundle',
      id: deps.newId(),
      type: 'searchset',
      total: result.total,
      link,
      entry: tasks.map((t) => ({ fullUrl: `${base}/${t.id}`, resource: t.resource, search: { mode: 'match' } }))
    }
    await sendFhir(reply, bundle)
  })
}
