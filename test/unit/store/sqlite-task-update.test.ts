import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Task } from '@medplum/fhirtypes'
import { openSqliteStore } from '../../../src/store/sqlite-store.ts'
import type { AuditRecord, Store, StoredResource, TaskVersionWrite } from '../../../src/store/store.ts'

const T0 = '2026-03-01T09:00:00.000Z'
const T1 = '2026-03-02T10:00:00.000Z'

let dir: string
let file: string
let store: Store

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'workwell-task-update-'))
  file = join(dir, 'gateway.sqlite')
  store = await openSqliteStore({ file })
  const task = taskVersion('1', T0, 'requested')
  await store.saveReferral({
    resources: [task],
    task: { id: 'task-1', basedOn: 'ServiceRequest/sr-1', owner: 'north-east', status: 'requested', lastUpdated: T0 },
    serviceRequestId: 'sr-1',
    audit: []
  })
})

afterEach(async () => {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

function taskVersion (versionId: string, lastUpdated: string, status: Task['status']): StoredResource {
  const resource: Task = { resourceType: 'Task', id: 'task-1', meta: { versionId, lastUpdated }, status, intent: 'order' }
  return { resourceType: 'Task', id: 'task-1', versionId, lastUpdated, resource }
}

function audit (id: string): AuditRecord {
  return { id, recorded: T1, action: 'U', subtype: 'update', outcome: '0', agent: 'partner', entity: 'Task/task-1', correlationId: 'c-1' }
}

function write (from: string, to: string, status: Task['status'], auditId = `a-${to}`): TaskVersionWrite {
  return { task: taskVersion(to, T1, status), expectedVersionId: from, status, audit: [audit(auditId)] }
}

function rows<T> (sql: string): T[] {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return db.prepare(sql).all() as T[]
  } finally {
    db.close()
  }
}

describe('updateTask', () => {
  it('writes the new version, its search row and its audit record together', async () => {
    expect(await store.updateTask(write('1', '2', 'accepted'))).toEqual({ kind: 'updated' })
    const read = await store.readResource('Task', 'task-1')
    expect(read).toMatchObject({ versionId: '2', lastUpdated: T1 })
    expect((read?.resource as Task).status).toBe('accepted')
    expect(rows('SELECT status, last_updated FROM tasks')).toEqual([{ status: 'accepted', last_updated: T1 }])
    expect(rows('SELECT id, action, entity FROM audit_events')).toEqual([{ id: 'a-2', action: 'U', entity: 'Task/task-1' }])
    const found = await store.searchTasks({ status: 'accepted', lastUpdated: [{ prefix: 'gt', value: T0 }], count: 10, offset: 0 })
    expect(found.tasks.map((t) => t.versionId)).toEqual(['2'])
    expect((await store.searchTasks({ status: 'requested', count: 10, offset: 0 })).total).toBe(0)
  })

  it('of two updates from the same version, writes only the first', async () => {
    const results = await Promise.all([store.updateTask(write('1', '2', 'accepted')), store.updateTask(write('1', '2', 'rejected', 'a-other'))])
    expect(results).toEqual([{ kind: 'updated' }, { kind: 'version-conflict', currentVersionId: '2' }])
    expect(((await store.readResource('Task', 'task-1'))?.resource as Task).status).toBe('accepted')
    expect(rows('SELECT status FROM tasks')).toEqual([{ status: 'accepted' }])
    expect(rows('SELECT id FROM audit_events')).toEqual([{ id: 'a-2' }])
  })

  it('chains versions', async () => {
    await store.updateTask(write('1', '2', 'accepted'))
    expect(await store.updateTask(write('2', '3', 'in-progress'))).toEqual({ kind: 'updated' })
    expect(await store.updateTask(write('2', '3', 'cancelled'))).toEqual({ kind: 'version-conflict', currentVersionId: '3' })
  })

  it('answers not-found for an unknown Task and writes nothing', async () => {
    const unknown: TaskVersionWrite = { ...write('1', '2', 'accepted'), task: { ...taskVersion('2', T1, 'accepted'), id: 'nope', resource: { resourceType: 'Task', id: 'nope', status: 'accepted', intent: 'order' } } }
    expect(await store.updateTask(unknown)).toEqual({ kind: 'not-found' })
    expect(rows('SELECT id FROM audit_events')).toEqual([])
  })

  it('rolls everything back when a part fails (a duplicate audit id)', async () => {
    await store.appendAudit(audit('dup'))
    await expect(store.updateTask(write('1', '2', 'accepted', 'dup'))).rejects.toThrow()
    expect((await store.readResource('Task', 'task-1'))?.versionId).toBe('1')
    expect(rows('SELECT status FROM tasks')).toEqual([{ status: 'requested' }])
  })

  it('refuses a write whose resource does not match its id, before touching the database', async () => {
    const mismatched: TaskVersionWrite = { ...write('1', '2', 'accepted'), task: { ...taskVersion('2', T1, 'accepted'), id: 'other' } }
    await expect(store.updateTask(mismatched)).rejects.toThrow(TypeError)
    expect((await store.readResource('Task', 'task-1'))?.versionId).toBe('1')
  })
})
