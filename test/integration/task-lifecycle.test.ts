import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Task, TaskOutput } from '@medplum/fhirtypes'
import { PARTNERSHIP_OUTPUT_SYSTEM, REFERRAL_OUTCOME_SYSTEM } from '../../src/lifecycle/lifecycle-codes.ts'
import { BASE_URL, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { call, readJson, type Reply } from '../helpers/fixtures.ts'
import { asPartnership, asReferrer } from '../helpers/tokens.ts'

const LEICESTER = 'leicester-leicestershire-and-rutland'
const BLACK_COUNTRY = 'black-country'
const PATCH_TYPE = 'application/json-patch+json'

const OUTCOME: TaskOutput = {
  type: { coding: [{ system: PARTNERSHIP_OUTPUT_SYSTEM, code: 'outcome' }] },
  valueCodeableConcept: { coding: [{ system: REFERRAL_OUTCOME_SYSTEM, code: 'returned-to-work', display: 'Returned to work after absence' }] }
}

type SearchBundle = { total: number, link: Array<{ relation: string, url: string }>, entry?: Array<{ resource: Task }> }

/** A gateway whose clock the test moves. */
async function clockedGateway (start: string): Promise<{ gw: TestGateway, setClock: (iso: string) => void }> {
  let now = new Date(start)
  const gw = await startGateway({ overrides: { clock: { now: () => new Date(now) } } })
  return { gw, setClock: (iso) => { now = new Date(iso) } }
}

async function newTask (gw: TestGateway, partnership = LEICESTER): Promise<Task> {
  const res = await call(`${gw.fhir}/ServiceRequest/$triage`, { headers: await asReferrer(gw), body: readJson(`fixtures/referrals/${partnership}/gp-referral.json`) })
  expect(res.status).toBe(200)
  return res.body as unknown as Task
}

async function put (gw: TestGateway, task: Task, ifMatch?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return call(`${gw.fhir}/Task/${task.id ?? ''}`, {
    method: 'PUT',
    body: task,
    headers: { ...await asPartnership(gw), ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }), ...headers }
  })
}

async function patch (gw: TestGateway, id: string, body: unknown, ifMatch?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return call(`${gw.fhir}/Task/${id}`, {
    method: 'PATCH',
    raw: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { ...await asPartnership(gw), 'content-type': PATCH_TYPE, ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }), ...headers }
  })
}

async function read (gw: TestGateway, id: string): Promise<Reply> {
  return call(`${gw.fhir}/Task/${id}`, { headers: await asPartnership(gw) })
}

function issues (res: Reply): Array<{ severity: string, code: string, diagnostics?: string, expression?: string[] }> {
  expect(res.body.resourceType).toBe('OperationOutcome')
  return res.body.issue as Array<{ severity: string, code: string, diagnostics?: string, expression?: string[] }>
}

/** Follows next links from a first search URL, collecting every Task. */
async function pullAll (gw: TestGateway, url: string): Promise<{ tasks: Task[], pages: number, total: number }> {
  const tasks: Task[] = []
  let pages = 0
  let total = -1
  let next: string | undefined = url
  while (next !== undefined) {
    const res = await call(next, { headers: await asPartnership(gw) })
    expect(res.status).toBe(200)
    const bundle = res.body as unknown as SearchBundle
    total = bundle.total
    tasks.push(...(bundle.entry ?? []).map((e) => e.resource))
    pages++
    const link = bundle.link.find((l) => l.relation === 'next')?.url
    next = link === undefined ? undefined : `${gw.fhir}${link.replace(BASE_URL, '')}`
  }
  return { tasks, pages, total }
}

describe('a partnership pulls its feed', () => {
  let gw: TestGateway
  let setClock: (iso: string) => void
  const early: Task[] = []
  const late: Task[] = []

  beforeAll(async () => {
    ({ gw, setClock } = await clockedGateway('2026-03-02T09:00:00.000Z'))
    early.push(await newTask(gw), await newTask(gw), await newTask(gw, BLACK_COUNTRY))
    setClock('2026-03-02T10:00:00.000Z')
    late.push(await newTask(gw), await newTask(gw), await newTask(gw), await newTask(gw, BLACK_COUNTRY))
  })
  afterAll(async () => { await gw.close() })

  it('gets only its own Tasks changed since a time, page by page', async () => {
    const since = encodeURIComponent('2026-03-02T09:30:00Z')
    const feed = await pullAll(gw, `${gw.fhir}/Task?owner=Organization/${LEICESTER}&_lastUpdated=gt${since}&_count=2`)
    expect(feed.total).toBe(3)
    expect(feed.pages).toBe(2)
    const mine = late.filter((t) => t.owner?.reference === `Organization/${LEICESTER}`).map((t) => t.id)
    expect(feed.tasks.map((t) => t.id).sort()).toEqual(mine.sort())
    expect(feed.tasks.every((t) => t.owner?.reference === `Organization/${LEICESTER}`)).toBe(true)
  })

  it('sees a Task again once its status changed, in the next pull', async () => {
    const first = early[0]!
    setClock('2026-03-02T11:00:00.000Z')
    expect((await put(gw, { ...first, status: 'accepted' }, 'W/"1"')).status).toBe(200)
    const since = encodeURIComponent('2026-03-02T10:30:00Z')
    const feed = await pullAll(gw, `${gw.fhir}/Task?owner=${LEICESTER}&_lastUpdated=gt${since}&_count=2`)
    expect(feed.tasks.map((t) => [t.id, t.status, t.meta?.versionId])).toEqual([[first.id, 'accepted', '2']])
    // the other partnership's feed does not carry it
    const theirs = await pullAll(gw, `${gw.fhir}/Task?owner=${BLACK_COUNTRY}&_lastUpdated=gt${since}`)
    expect(theirs.total).toBe(0)
  })
})

describe('a partnership that updates Tasks while it pages through its feed', () => {
  let gw: TestGateway
  let setClock: (iso: string) => void
  const created: Task[] = []

  beforeAll(async () => {
    ({ gw, setClock } = await clockedGateway('2026-03-03T09:00:00.000Z'))
    // six Tasks with the same lastUpdated: only the id orders them
    for (let i = 0; i < 6; i++) created.push(await newTask(gw))
  })
  afterAll(async () => { await gw.close() })

  it('misses none: accepting page 1 before reading page 2 does not shift page 2', async () => {
    setClock('2026-03-03T10:00:00.000Z')
    const seen = new Map<string, string[]>()
    let next: string | undefined = `${gw.fhir}/Task?owner=${LEICESTER}&_lastUpdated=gt2026-03-03T08:00:00Z&_count=2`
    let pages = 0
    while (next !== undefined && pages < 10) {
      const res = await call(next, { headers: await asPartnership(gw) })
      expect(res.status).toBe(200)
      const bundle = res.body as unknown as SearchBundle
      expect(bundle.total).toBe(6)
      pages++
      for (const { resource } of bundle.entry ?? []) {
        seen.set(resource.id ?? '', [...(seen.get(resource.id ?? '') ?? []), resource.status])
        // the partnership takes each requested Task on as it reads it: it moves to the end of the feed
        if (resource.status === 'requested') {
          expect((await put(gw, { ...resource, status: 'accepted' }, `W/"${resource.meta?.versionId ?? ''}"`)).status).toBe(200)
        }
      }
      const link = bundle.link.find((l) => l.relation === 'next')?.url
      expect(link === undefined || link.includes('_cursor=')).toBe(true)
      next = link === undefined ? undefined : `${gw.fhir}${link.replace(BASE_URL, '')}`
    }
    // every Task was read as requested once, then again once accepted
    expect([...seen.keys()].sort()).toEqual(created.map((t) => t.id).sort())
    expect([...seen.values()].every((statuses) => statuses.join() === 'requested,accepted')).toBe(true)
  })

  it('answers a cursor it did not give out, or with _offset, with 400 naming _cursor', async () => {
    const bad = await call(`${gw.fhir}/Task?_cursor=bm90LWEtY3Vyc29y`, { headers: await asPartnership(gw) })
    expect(bad.status).toBe(400)
    expect(issues(bad)[0]?.expression).toEqual(['_cursor'])
    const cursor = Buffer.from(`2026-03-03T09:00:00.000Z|${created[0]?.id ?? ''}`).toString('base64url')
    expect((await call(`${gw.fhir}/Task?_cursor=${cursor}&_offset=2`, { headers: await asPartnership(gw) })).status).toBe(400)
  })
})

describe('PUT and PATCH /fhir/Task/{id}', () => {
  let gw: TestGateway
  let setClock: (iso: string) => void

  beforeAll(async () => {
    ({ gw, setClock } = await clockedGateway('2026-03-02T09:00:00.000Z'))
  })
  afterAll(async () => { await gw.close() })

  it('declares update and patch on Task, as versioned-update without update-as-create', async () => {
    const res = await call(`${gw.fhir}/metadata`)
    const rest = (res.body.rest as Array<{ resource: Array<{ type: string, interaction: Array<{ code: string }>, versioning?: string, updateCreate?: boolean }> }>)[0]
    const task = rest?.resource.find((r) => r.type === 'Task')
    expect(task?.interaction.map((i) => i.code)).toEqual(expect.arrayContaining(['update', 'patch']))
    expect(task).toMatchObject({ versioning: 'versioned-update', updateCreate: false })
    expect(rest?.resource.find((r) => r.type === 'ServiceRequest')?.versioning).toBe('versioned')
  })

  it('starts from a requested triage Task at version 1', async () => {
    const task = await newTask(gw)
    expect(task).toMatchObject({ status: 'requested', meta: { versionId: '1' } })
  })

  it('accepts with PUT: 200, the next version, ETag, Last-Modified, the server clock, and the referrer sees it', async () => {
    const task = await newTask(gw)
    setClock('2026-03-02T09:15:00.000Z')
    const res = await put(gw, { ...task, status: 'accepted', businessStatus: { text: 'Allocated to a case worker' } }, 'W/"1"')
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toBe('W/"2"')
    expect(res.headers.get('last-modified')).toBe(new Date('2026-03-02T09:15:00.000Z').toUTCString())
    expect(res.headers.get('content-location')).toBe(`${BASE_URL}/Task/${task.id ?? ''}/_history/2`)
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
    expect(res.body).toMatchObject({
      status: 'accepted',
      meta: { versionId: '2', lastUpdated: '2026-03-02T09:15:00.000Z' },
      lastModified: '2026-03-02T09:15:00.000Z',
      owner: task.owner,
      basedOn: task.basedOn
    })

    const seen = await read(gw, task.id ?? '')
    expect(seen.headers.get('etag')).toBe('W/"2"')
    expect(seen.body).toMatchObject({ status: 'accepted', businessStatus: { text: 'Allocated to a case worker' } })
    const byStatus = (await call(`${gw.fhir}/Task?status=accepted&based-on=${task.basedOn?.[0]?.reference ?? ''}`, { headers: await asPartnership(gw) })).body as unknown as SearchBundle
    expect(byStatus.entry?.map((e) => e.resource.id)).toEqual([task.id])
    const notRequested = (await call(`${gw.fhir}/Task?status=requested&based-on=${task.basedOn?.[0]?.reference ?? ''}`, { headers: await asPartnership(gw) })).body as unknown as SearchBundle
    expect(notRequested.total).toBe(0)
  })

  it('records each update as an AuditEvent with action U', async () => {
    const task = await newTask(gw)
    expect((await put(gw, { ...task, status: 'accepted' }, 'W/"1"')).status).toBe(200)
    expect((await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'in-progress' }], 'W/"2"')).status).toBe(200)
    const db = new DatabaseSync(path.join(gw.dataDir, 'workwell.sqlite'), { readOnly: true })
    try {
      const rows = db.prepare('SELECT action, subtype, outcome, entity FROM audit_events WHERE action = \'U\' AND entity = ? ORDER BY subtype').all(`Task/${task.id ?? ''}`)
      expect(rows.map((r) => ({ ...r }))).toEqual([
        { action: 'U', subtype: 'patch', outcome: '0', entity: `Task/${task.id ?? ''}` },
        { action: 'U', subtype: 'update', outcome: '0', entity: `Task/${task.id ?? ''}` }
      ])
    } finally {
      db.close()
    }
  })

  it('walks the whole lifecycle with JSON Patch: accepted, in-progress, completed with an outcome', async () => {
    setClock('2026-03-02T12:00:00.000Z')
    const task = await newTask(gw)
    const id = task.id ?? ''
    const accepted = await patch(gw, id, [{ op: 'test', path: '/status', value: 'requested' }, { op: 'replace', path: '/status', value: 'accepted' }], 'W/"1"')
    expect(accepted.status).toBe(200)
    const started = await patch(gw, id, [
      { op: 'replace', path: '/status', value: 'in-progress' },
      { op: 'add', path: '/executionPeriod', value: { start: '2026-03-03T10:00:00Z' } },
      { op: 'add', path: '/note/-', value: { text: 'First appointment held' } }
    ], 'W/"2"')
    expect(started.status).toBe(200)
    expect(started.headers.get('etag')).toBe('W/"3"')
    const notes = (started.body as unknown as Task).note ?? []
    expect(notes.at(-1)).toEqual({ text: 'First appointment held', time: '2026-03-02T12:00:00.000Z' })
    expect(notes).toHaveLength((task.note ?? []).length + 1)
    const done = await patch(gw, id, [
      { op: 'replace', path: '/status', value: 'completed' },
      { op: 'add', path: '/output/-', value: OUTCOME }
    ], 'W/"3"')
    expect(done.status).toBe(200)
    const final = (await read(gw, id)).body as unknown as Task
    expect(final.status).toBe('completed')
    expect(final.meta?.versionId).toBe('4')
    expect(final.output?.slice(0, task.output?.length ?? 0)).toEqual(task.output ?? [])
    expect(final.output?.at(-1)).toEqual(OUTCOME)
  })

  it('rejects with a reason', async () => {
    const task = await newTask(gw)
    const res = await put(gw, { ...task, status: 'rejected', statusReason: { text: 'Already supported by another service' } }, 'W/"1"')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ status: 'rejected', statusReason: { text: 'Already supported by another service' } })
  })

  it('cancels from in-progress without a reason', async () => {
    const task = await newTask(gw)
    await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'accepted' }], 'W/"1"')
    await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'in-progress' }], 'W/"2"')
    const res = await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'cancelled' }], 'W/"3"')
    expect(res.status).toBe(200)
  })

  describe('Prefer', () => {
    it('return=minimal answers 200 with the version headers and no body', async () => {
      const task = await newTask(gw)
      const res = await put(gw, { ...task, status: 'accepted' }, 'W/"1"', { prefer: 'return=minimal' })
      expect(res.status).toBe(200)
      expect(res.text).toBe('')
      expect(res.headers.get('etag')).toBe('W/"2"')
      expect(res.headers.get('last-modified')).not.toBeNull()
    })

    it('return=OperationOutcome answers with an informational OperationOutcome', async () => {
      const task = await newTask(gw)
      const res = await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'accepted' }], 'W/"1"', { prefer: 'return=OperationOutcome' })
      expect(res.status).toBe(200)
      expect(issues(res)[0]).toMatchObject({ severity: 'information', code: 'informational' })
      expect(res.headers.get('etag')).toBe('W/"2"')
    })
  })

  describe('versioning', () => {
    it('is 428 without If-Match (or with *), for PUT and PATCH, and changes nothing', async () => {
      const task = await newTask(gw)
      const noHeader = await put(gw, { ...task, status: 'accepted' })
      expect(noHeader.status).toBe(428)
      expect(issues(noHeader)[0]).toMatchObject({ code: 'required', expression: ['If-Match'] })
      expect((await put(gw, { ...task, status: 'accepted' }, '*')).status).toBe(428)
      expect((await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'accepted' }])).status).toBe(428)
      expect((await read(gw, task.id ?? '')).body.status).toBe('requested')
    })

    it('is 400 for an If-Match that is not an ETag', async () => {
      const task = await newTask(gw)
      expect((await put(gw, { ...task, status: 'accepted' }, '1')).status).toBe(400)
    })

    it('is 412 conflict when If-Match names an old version', async () => {
      const task = await newTask(gw)
      expect((await put(gw, { ...task, status: 'accepted' }, 'W/"1"')).status).toBe(200)
      const stale = await put(gw, { ...task, status: 'rejected', statusReason: { text: 'x' } }, 'W/"1"')
      expect(stale.status).toBe(412)
      expect(issues(stale)[0]).toMatchObject({ severity: 'error', code: 'conflict', expression: ['If-Match'] })
      expect(issues(stale)[0]?.diagnostics).toMatch(/version 2, not 1/)
      const patched = await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'in-progress' }], 'W/"7"')
      expect(patched.status).toBe(412)
      expect((await read(gw, task.id ?? '')).body.status).toBe('accepted')
    })

    it('gives one 200 and one 412 to two concurrent updates with the same If-Match', async () => {
      const task = await newTask(gw)
      const results = await Promise.all([
        put(gw, { ...task, status: 'accepted' }, 'W/"1"'),
        put(gw, { ...task, status: 'rejected', statusReason: { text: 'No capacity' } }, 'W/"1"')
      ])
      expect(results.map((r) => r.status).sort()).toEqual([200, 412])
      const winner = results.find((r) => r.status === 200)
      const stored = (await read(gw, task.id ?? '')).body
      expect(stored.status).toBe(winner?.body.status)
      expect((stored.meta as { versionId: string }).versionId).toBe('2')
    })

    it('gives one 200 and one 412 even when both read the same version before either writes', async () => {
      const task = await newTask(gw)
      const store = gw.deps.store
      const original = store.readResource.bind(store)
      const waiting: Array<() => void> = []
      // hold each read of this Task until both requests have read it, so both pass the
      // early version check and only the store's conditional write can tell them apart
      vi.spyOn(store, 'readResource').mockImplementation(async (type, id) => {
        const found = await original(type, id)
        if (type === 'Task' && id === task.id) {
          await new Promise<void>((resolve) => {
            waiting.push(resolve)
            if (waiting.length === 2) for (const release of waiting) release()
          })
        }
        return found
      })
      const results = await Promise.all([
        patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'accepted' }], 'W/"1"'),
        patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'cancelled' }], 'W/"1"')
      ])
      expect(results.map((r) => r.status).sort()).toEqual([200, 412])
      expect(issues(results.find((r) => r.status === 412)!)[0]?.code).toBe('conflict')
      vi.restoreAllMocks()
      const stored = (await read(gw, task.id ?? '')).body
      expect((stored.meta as { versionId: string }).versionId).toBe('2')
      const index = (await call(`${gw.fhir}/Task?status=${String(stored.status)}&based-on=${task.basedOn?.[0]?.reference ?? ''}`, { headers: await asPartnership(gw) })).body as unknown as SearchBundle
      expect(index.total).toBe(1)
    })
  })

  describe('lifecycle rules', () => {
    it('refuses an illegal transition with 422 business-rule on Task.status', async () => {
      const task = await newTask(gw)
      const res = await put(gw, { ...task, status: 'completed', output: [...task.output ?? [], OUTCOME] }, 'W/"1"')
      expect(res.status).toBe(422)
      expect(issues(res)[0]).toMatchObject({ severity: 'error', code: 'business-rule', expression: ['Task.status'] })
      expect(issues(res)[0]?.diagnostics).toMatch(/cannot move from requested to completed/)
      expect((await read(gw, task.id ?? '')).body.meta).toMatchObject({ versionId: '1' })
    })

    it('refuses rejected without a reason and completed without an outcome', async () => {
      const task = await newTask(gw)
      const rejected = await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'rejected' }], 'W/"1"')
      expect(rejected.status).toBe(422)
      expect(issues(rejected)[0]?.expression).toEqual(['Task.statusReason'])
      await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'accepted' }], 'W/"1"')
      await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'in-progress' }], 'W/"2"')
      const completed = await patch(gw, task.id ?? '', [{ op: 'replace', path: '/status', value: 'completed' }], 'W/"3"')
      expect(completed.status).toBe(422)
      expect(issues(completed)[0]?.expression).toEqual(['Task.output'])
      const badCode = await patch(gw, task.id ?? '', [
        { op: 'replace', path: '/status', value: 'completed' },
        { op: 'add', path: '/output/-', value: { ...OUTCOME, valueCodeableConcept: { coding: [{ system: REFERRAL_OUTCOME_SYSTEM, code: 'happy' }] } } }
      ], 'W/"3"')
      expect(badCode.status).toBe(422)
      expect(issues(badCode)[0]?.expression?.[0]).toMatch(/^Task\.output\[\d+\]\.valueCodeableConcept$/)
    })

    it('refuses any change to a Task in a final status', async () => {
      const task = await newTask(gw)
      await put(gw, { ...task, status: 'cancelled' }, 'W/"1"')
      const res = await patch(gw, task.id ?? '', [{ op: 'add', path: '/note/-', value: { text: 'late note' } }], 'W/"2"')
      expect(res.status).toBe(422)
      expect(issues(res)[0]).toMatchObject({ code: 'business-rule', expression: ['Task.status'] })
    })

    it('refuses a PUT that changes a gateway-owned element, naming its path', async () => {
      const task = await newTask(gw)
      const res = await put(gw, { ...task, status: 'accepted', owner: { reference: `Organization/${BLACK_COUNTRY}` }, priority: 'stat' }, 'W/"1"')
      expect(res.status).toBe(422)
      expect(issues(res).map((i) => i.expression?.[0]).sort()).toEqual(['Task.owner', 'Task.priority'])
    })

    it('refuses a PUT that drops or edits an existing note or output', async () => {
      const task = await newTask(gw)
      const edited = await put(gw, { ...task, note: [{ text: 'rewritten' }] }, 'W/"1"')
      expect(edited.status).toBe(422)
      expect(issues(edited)[0]?.expression).toEqual(['Task.note[0]'])
    })

    it('refuses a JSON Patch on a gateway-owned path with 422 and the path', async () => {
      const task = await newTask(gw)
      const res = await patch(gw, task.id ?? '', [{ op: 'replace', path: '/owner/reference', value: 'Organization/x' }, { op: 'remove', path: '/basedOn' }], 'W/"1"')
      expect(res.status).toBe(422)
      expect(issues(res).map((i) => i.expression?.[0])).toEqual(['Task.owner.reference', 'Task.basedOn'])
    })

    it('refuses an element that is not valid R4 with 422 from the validator', async () => {
      const task = await newTask(gw)
      const res = await patch(gw, task.id ?? '', [{ op: 'add', path: '/statusReason', value: 'just a string' }], 'W/"1"')
      expect(res.status).toBe(422)
      expect(issues(res)[0]?.expression).toEqual(['Task.statusReason'])
      const period = await patch(gw, task.id ?? '', [{ op: 'add', path: '/executionPeriod', value: { start: 'soon' } }], 'W/"1"')
      expect(period.status).toBe(422)
      expect(issues(period)[0]?.expression).toEqual(['Task.executionPeriod.start'])
    })
  })

  describe('bad input is never a 500', () => {
    it('is 404 for an unknown Task and 400 for an invalid id', async () => {
      const task = await newTask(gw)
      expect((await put(gw, { ...task, id: 'no-such-task', status: 'accepted' }, 'W/"1"')).status).toBe(404)
      expect((await patch(gw, 'no-such-task', [{ op: 'replace', path: '/status', value: 'accepted' }], 'W/"1"')).status).toBe(404)
      expect((await patch(gw, 'bad_id!', [{ op: 'replace', path: '/status', value: 'accepted' }], 'W/"1"')).status).toBe(400)
    })

    it('is 400 when the body is not a Task, has no id, or another id than the URL', async () => {
      const task = await newTask(gw)
      const url = `${gw.fhir}/Task/${task.id ?? ''}`
      const notTask = await call(url, { method: 'PUT', body: { resourceType: 'ServiceRequest', id: task.id }, headers: { ...await asPartnership(gw), 'if-match': 'W/"1"' } })
      expect(notTask.status).toBe(400)
      expect(issues(notTask)[0]?.expression).toEqual(['Task.resourceType'])
      expect((await call(url, { method: 'PUT', body: [task], headers: { ...await asPartnership(gw), 'if-match': 'W/"1"' } })).status).toBe(400)
      const noId: Task = { ...task }
      delete noId.id
      expect((await call(url, { method: 'PUT', body: noId, headers: { ...await asPartnership(gw), 'if-match': 'W/"1"' } })).status).toBe(400)
      const otherId = await call(url, { method: 'PUT', body: { ...task, id: 'other' }, headers: { ...await asPartnership(gw), 'if-match': 'W/"1"' } })
      expect(otherId.status).toBe(400)
      expect(issues(otherId)[0]?.expression).toEqual(['Task.id'])
      expect((await call(url, { method: 'PUT', raw: '{"resourceType":', headers: { ...await asPartnership(gw), 'if-match': 'W/"1"' } })).status).toBe(400)
    })

    it('is 400 for a malformed JSON Patch', async () => {
      const task = await newTask(gw)
      for (const body of ['{not json', '{"op":"replace","path":"/status","value":"accepted"}', '[]', '[{"op":"merge","path":"/status"}]', '[{"op":"add","path":"status","value":1}]', '[{"op":"add","path":"/note/__proto__","value":{}}]']) {
        const res = await patch(gw, task.id ?? '', body, 'W/"1"')
        expect(res.status, body).toBe(400)
        expect(res.body.resourceType).toBe('OperationOutcome')
      }
    })

    it('is 409 for a JSON Patch that does not fit the Task (failed test, missing target)', async () => {
      const task = await newTask(gw)
      const failedTest = await patch(gw, task.id ?? '', [{ op: 'test', path: '/status', value: 'accepted' }, { op: 'replace', path: '/status', value: 'in-progress' }], 'W/"1"')
      expect(failedTest.status).toBe(409)
      expect(issues(failedTest)[0]?.code).toBe('conflict')
      expect((await patch(gw, task.id ?? '', [{ op: 'remove', path: '/executionPeriod' }], 'W/"1"')).status).toBe(409)
    })

    it('is 415 for a PATCH that is not JSON Patch, and for a PUT that is not FHIR JSON', async () => {
      const task = await newTask(gw)
      const fhirPath = await patch(gw, task.id ?? '', { resourceType: 'Parameters', parameter: [] }, 'W/"1"', { 'content-type': 'application/fhir+json' })
      expect(fhirPath.status).toBe(415)
      expect(issues(fhirPath)[0]).toMatchObject({ code: 'not-supported', expression: ['Content-Type'] })
      expect((await patch(gw, task.id ?? '', 'status=accepted', 'W/"1"', { 'content-type': 'text/plain' })).status).toBe(415)
      const putPatch = await call(`${gw.fhir}/Task/${task.id ?? ''}`, { method: 'PUT', raw: '[]', headers: { ...await asPartnership(gw), 'content-type': PATCH_TYPE, 'if-match': 'W/"1"' } })
      expect(putPatch.status).toBe(415)
    })

    it('keeps the JSON limits on JSON Patch bodies', async () => {
      const task = await newTask(gw)
      const deep = `[{"op":"add","path":"/note/-","value":${'['.repeat(100)}${']'.repeat(100)}}]`
      const res = await patch(gw, task.id ?? '', deep, 'W/"1"')
      expect(res.status).toBe(400)
      expect(issues(res)[0]?.code).toBe('too-costly')
    })
  })
})
