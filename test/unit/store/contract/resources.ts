import { describe, beforeEach, expect, it } from 'vitest'
import type { Patient, ServiceRequest, Task } from '@medplum/fhirtypes'
import { ReferenceTakenError, RequestIdAlreadyDoneError } from '../../../../src/store/store-errors.ts'
import type { AuditRecord, Store, StoredResource, TaskVersionWrite } from '../../../../src/store/store.ts'
import { storeFixture, T0, stored, referral, deliveryById, type StoreHarness } from './harness.ts'

/** Referral writes, reads, Task versions and Task search (within the caller's scope). */
export function describeResourceContract (harness: StoreHarness): void {
  describe('ResourceStore', () => {
    const { open, count, counts } = storeFixture(harness)

    describe('saveReferral', () => {
      it('refuses a reference another Task has (ReferenceTakenError), keeping nothing of the write', async () => {
        const store = await open()
        await store.saveReferral({ ...referral('1'), task: { ...referral('1').task, reference: 'WW-00000-00000' } })
        const before = await counts()
        const second = referral('2', { requestId: 'req-2' })
        expect(await store.claimRequestId('req-2', new Date(T0), 60_000)).toEqual({ kind: 'claimed' })
        const taken = store.saveReferral({ ...second, task: { ...second.task, reference: 'WW-00000-00000' } })
        await expect(taken).rejects.toBeInstanceOf(ReferenceTakenError)
        await expect(taken).rejects.toMatchObject({ reference: 'WW-00000-00000' })
        expect({ ...await counts(), request_ids: before.request_ids }).toEqual(before)
        // the same write with another reference goes in
        await store.saveReferral({ ...second, task: { ...second.task, reference: 'WW-00000-00011' } })
        expect(await count('tasks')).toBe(2)
      })

      it('keeps a resource\'s text exactly (quotes, backslashes, escapes, emoji) and stores a lone surrogate from outside well-formed', async () => {
        const store = await open()
        const write = referral('1')
        const patient: Patient = { resourceType: 'Patient', id: 'pat-1', meta: { versionId: '1', lastUpdated: T0 }, name: [{ family: 'O"Brien \\ \u00e9 \ud83d\ude00 \ud800 \\u0000 \n' }] }
        const lone = 'client-\ud800'
        await store.saveReferral({
          ...write,
          resources: write.resources.map((r) => r.resourceType === 'Patient' ? stored(patient) : r),
          audit: write.audit.map((a) => ({ ...a, agent: lone }))
        })
        const read = await store.readResource('Patient', 'pat-1')
        expect(read?.resource).toEqual(JSON.parse(JSON.stringify(patient)))
        const audit = await store.searchAudit({ entity: 'ServiceRequest/sr-1', limit: 10 })
        expect(audit.map((a) => a.agent)).toEqual(['client-\ufffd', 'client-\ufffd'])
      })

      it('stores every resource, the task index, the outbox row, the audit records and the request id', async () => {
        const store = await open()
        const write = referral('1', { requestId: 'req-1', createdAt: '2026-03-01T10:00:00+01:00' })
        expect(await store.claimRequestId('req-1', new Date(T0), 60_000)).toEqual({ kind: 'claimed' })
        await store.saveReferral(write)

        for (const r of write.resources) {
          expect(await store.readResource(r.resourceType, r.id)).toEqual(r)
        }
        expect(await store.searchTasks({ owner: 'north-east', count: 10, offset: 0 }))
          .toEqual({ total: 1, tasks: [write.resources[2]] })
        expect(await store.listDeliveries({ limit: 10 })).toEqual([{
          id: 'out-1',
          partnershipId: 'north-east',
          serviceRequestId: 'sr-1',
          taskId: 'task-1',
          // a row written without a kind is a partnership referral
          kind: 'referral',
          status: 'pending',
          attempts: 0,
          // stored normalised to UTC with milliseconds
          createdAt: T0,
          nextAttemptAt: T0,
          updatedAt: T0
        }])
        expect(await harness.sql('SELECT * FROM audit_events ORDER BY id')).toEqual([
          { id: 'audit-1-1', recorded: T0, action: 'C', subtype: 'create', outcome: '0', agent: 'client-a', entity: 'ServiceRequest/sr-1', correlation_id: 'corr-1' },
          { id: 'audit-1-2', recorded: T0, action: 'E', subtype: 'triage', outcome: '0', agent: 'client-a', entity: 'ServiceRequest/sr-1', correlation_id: null }
        ])
        expect(await store.claimRequestId('req-1', new Date(T0), 60_000))
          .toEqual({ kind: 'done', serviceRequestId: 'sr-1', taskId: 'task-1' })
      })

      it('stores a referral without an outbox row or request id', async () => {
        const store = await open()
        await store.saveReferral(referral('1', { outboxId: false }))
        expect(await counts()).toEqual({ resources: 3, tasks: 1, outbox: 0, audit_events: 2, request_ids: 0 })
      })

      it('marks a request id done even when it was never claimed', async () => {
        const store = await open()
        await store.saveReferral(referral('1', { requestId: 'req-1' }))
        expect(await store.claimRequestId('req-1', new Date(T0), 60_000))
          .toEqual({ kind: 'done', serviceRequestId: 'sr-1', taskId: 'task-1' })
      })

      it('returns undefined for a resource it does not hold', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        expect(await store.readResource('ServiceRequest', 'nope')).toBeUndefined()
        // the id exists, but as another type
        expect(await store.readResource('Patient', 'sr-1')).toBeUndefined()
      })

      it('leaves nothing behind when a resource id repeats within the write', async () => {
        const store = await open()
        await store.claimRequestId('req-1', new Date(T0), 60_000)
        const write = referral('1', { requestId: 'req-1' })
        const [, serviceRequest] = write.resources
        if (serviceRequest === undefined) throw new Error('fixture')
        write.resources.push(serviceRequest)

        await expect(store.saveReferral(write)).rejects.toThrow(/unique/i)
        expect(await counts()).toEqual({ resources: 0, tasks: 0, outbox: 0, audit_events: 0, request_ids: 1 })
        expect(await store.readResource('Patient', 'pat-1')).toBeUndefined()
        // the claim stays in flight, not done: the client may retry once it is released
        expect(await store.claimRequestId('req-1', new Date(T0), 60_000)).toEqual({ kind: 'in-flight' })
      })

      it('leaves nothing of a second referral behind when its outbox id is taken', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        const before = await counts()
        await expect(store.saveReferral(referral('2', { outboxId: 'out-1', requestId: 'req-2' }))).rejects.toThrow(/unique/i)
        expect(await counts()).toEqual(before)
        expect(await store.readResource('ServiceRequest', 'sr-2')).toBeUndefined()
        expect(await store.claimRequestId('req-2', new Date(T0), 60_000)).toEqual({ kind: 'claimed' })
      })

      it('saves referrals written at the same moment, rolling back only the one that fails', async () => {
        const store = await open()
        const bad = referral('3', { outboxId: 'out-1' }) // its outbox id is taken by referral 1
        const results = await Promise.allSettled([referral('1'), referral('2'), bad, referral('4')].map(async (w) => store.saveReferral(w)))
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
        expect(await counts()).toEqual({ resources: 9, tasks: 3, outbox: 3, audit_events: 6, request_ids: 0 })
        expect(await store.readResource('Patient', 'pat-3')).toBeUndefined()
        expect((await store.readResource('Task', 'task-4'))?.id).toBe('task-4')
      })

      it('rolls back when the last audit record fails', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        const write = referral('2')
        const last = write.audit[1]
        if (last === undefined) throw new Error('fixture')
        last.id = 'audit-1-1'
        await expect(store.saveReferral(write)).rejects.toThrow(/unique/i)
        expect(await counts()).toEqual({ resources: 3, tasks: 1, outbox: 1, audit_events: 2, request_ids: 0 })
      })

      it('refuses to overwrite a resource stored by an earlier write', async () => {
        const store = await open()
        await store.saveReferral(referral('1'))
        const write = referral('2')
        const impostor: Patient = { resourceType: 'Patient', id: 'pat-1', meta: { versionId: '1', lastUpdated: T0 }, name: [{ family: 'Other' }] }
        write.resources[0] = stored(impostor)
        await expect(store.saveReferral(write)).rejects.toThrow(/unique/i)
        expect((await counts()).resources).toBe(3)
        expect((await store.readResource('Patient', 'pat-1'))?.resource).toEqual(referral('1').resources[0]?.resource)
      })

      it('rolls back when the request id was completed by another request meanwhile', async () => {
        const store = await open()
        await store.saveReferral(referral('1', { requestId: 'req-1' }))
        const before = await counts()
        await expect(store.saveReferral(referral('2', { requestId: 'req-1' }))).rejects.toBeInstanceOf(RequestIdAlreadyDoneError)
        expect(await counts()).toEqual(before)
        expect(await store.claimRequestId('req-1', new Date(T0), 60_000))
          .toEqual({ kind: 'done', serviceRequestId: 'sr-1', taskId: 'task-1' })
      })

      it('refuses a task index row whose Task resource is not stored', async () => {
        const store = await open()
        const write = referral('1')
        write.resources = write.resources.filter((r) => r.resourceType !== 'Task')
        await expect(store.saveReferral(write)).rejects.toThrow(/foreign key/i)
        expect(await counts()).toEqual({ resources: 0, tasks: 0, outbox: 0, audit_events: 0, request_ids: 0 })
      })

      it('refuses a stored resource whose content is another resource', async () => {
        const store = await open()
        const write = referral('1')
        const patient = write.resources[0]
        if (patient === undefined) throw new Error('fixture')
        patient.id = 'someone-else'
        await expect(store.saveReferral(write)).rejects.toBeInstanceOf(TypeError)
        expect((await counts()).resources).toBe(0)
      })
    })

    describe('searchTasks', () => {
    /** Five tasks; 'c' and 'b' share an instant so the id breaks the tie. */
      async function seeded (): Promise<Store> {
        const store = await open()
        await store.saveReferral(referral('e', { lastUpdated: '2026-03-03T12:00:00.000Z', owner: 'south-west', status: 'completed' }))
        await store.saveReferral(referral('c', { lastUpdated: '2026-03-02T10:00:00.000Z', owner: 'north-east' }))
        await store.saveReferral(referral('b', { lastUpdated: '2026-03-02T10:00:00.000Z', owner: 'south-west' }))
        await store.saveReferral(referral('a', { lastUpdated: '2026-03-01T23:30:00.000Z', owner: 'north-east', status: 'accepted' }))
        await store.saveReferral(referral('d', { lastUpdated: '2026-03-02T23:59:59.999Z', owner: 'north-east' }))
        return store
      }

      async function ids (store: Store, query: Parameters<Store['searchTasks']>[0]): Promise<string[]> {
        return (await store.searchTasks(query)).tasks.map((t) => t.id)
      }

      const all = { count: 100, offset: 0 }

      it('orders by lastUpdated then id and counts every match', async () => {
        const store = await seeded()
        const result = await store.searchTasks(all)
        expect(result.total).toBe(5)
        expect(result.tasks.map((t) => t.id)).toEqual(['task-a', 'task-b', 'task-c', 'task-d', 'task-e'])
        expect(result.tasks[0]?.resource.resourceType).toBe('Task')
      })

      it('filters by owner, status and basedOn, alone and together', async () => {
        const store = await seeded()
        expect(await ids(store, { ...all, owner: 'south-west' })).toEqual(['task-b', 'task-e'])
        expect(await ids(store, { ...all, status: 'requested' })).toEqual(['task-b', 'task-c', 'task-d'])
        expect(await ids(store, { ...all, basedOn: 'ServiceRequest/sr-c' })).toEqual(['task-c'])
        expect(await ids(store, { ...all, owner: 'north-east', status: 'requested' })).toEqual(['task-c', 'task-d'])
        expect(await store.searchTasks({ ...all, owner: 'nowhere' })).toEqual({ total: 0, tasks: [] })
      })

      it('compares lastUpdated with each prefix on full instants', async () => {
        const store = await seeded()
        const at = '2026-03-02T10:00:00.000Z'
        expect(await ids(store, { ...all, lastUpdated: [{ prefix: 'eq', value: at }] })).toEqual(['task-b', 'task-c'])
        expect(await ids(store, { ...all, lastUpdated: [{ prefix: 'gt', value: at }] })).toEqual(['task-d', 'task-e'])
        expect(await ids(store, { ...all, lastUpdated: [{ prefix: 'ge', value: at }] })).toEqual(['task-b', 'task-c', 'task-d', 'task-e'])
        expect(await ids(store, { ...all, lastUpdated: [{ prefix: 'lt', value: at }] })).toEqual(['task-a'])
        expect(await ids(store, { ...all, lastUpdated: [{ prefix: 'le', value: at }] })).toEqual(['task-a', 'task-b', 'task-c'])
        expect(await ids(store, {
          ...all,
          lastUpdated: [{ prefix: 'gt', value: '2026-03-01T23:30:00.000Z' }, { prefix: 'lt', value: '2026-03-03T12:00:00.000Z' }]
        })).toEqual(['task-b', 'task-c', 'task-d'])
      })

      it('normalises offsets and reads dates as whole days', async () => {
        const store = await seeded()
        // 11:00 at +01:00 is 10:00Z
        expect(await ids(store, { ...all, lastUpdated: [{ prefix: 'eq', value: '2026-03-02T11:00:00+01:00' }] })).toEqual(['task-b', 'task-c'])
        // the whole UTC day of 2 March, up to its last millisecond
        expect(await ids(store, { ...all, lastUpdated: [{ prefix: 'eq', value: '2026-03-02' }] })).toEqual(['task-b', 'task-c', 'task-d'])
        expect(await ids(store, { ...all, lastUpdated: [{ prefix: 'gt', value: '2026-03-02' }] })).toEqual(['task-e'])
        expect(await ids(store, { ...all, lastUpdated: [{ prefix: 'lt', value: '2026-03-02' }] })).toEqual(['task-a'])
        expect(await ids(store, { ...all, lastUpdated: [{ prefix: 'le', value: '2026-03-02' }] })).toEqual(['task-a', 'task-b', 'task-c', 'task-d'])
      })

      it('pages with count and offset while total counts all matches', async () => {
        const store = await seeded()
        const page = await store.searchTasks({ count: 2, offset: 2 })
        expect(page.total).toBe(5)
        expect(page.tasks.map((t) => t.id)).toEqual(['task-c', 'task-d'])
        expect(await store.searchTasks({ owner: 'north-east', count: 2, offset: 2 }))
          .toMatchObject({ total: 3, tasks: [{ id: 'task-d' }] })
        expect(await store.searchTasks({ count: 2, offset: 10 })).toEqual({ total: 5, tasks: [] })
        expect(await store.searchTasks({ count: 0, offset: 0 })).toEqual({ total: 5, tasks: [] })
      })

      it('pages by cursor (after): only Tasks after it in (lastUpdated, id) order, total still counts all', async () => {
        const store = await seeded()
        // b and c share an instant: the id decides which side of the cursor each is on
        const page = await store.searchTasks({ count: 2, offset: 0, after: { lastUpdated: '2026-03-02T10:00:00.000Z', id: 'task-b' } })
        expect(page.total).toBe(5)
        expect(page.tasks.map((t) => t.id)).toEqual(['task-c', 'task-d'])
        expect(await ids(store, { ...all, owner: 'north-east', after: { lastUpdated: '2026-03-01T23:30:00.000Z', id: 'task-a' } })).toEqual(['task-c', 'task-d'])
        expect(await ids(store, { ...all, status: 'requested', lastUpdated: [{ prefix: 'lt', value: '2026-03-03' }], after: { lastUpdated: '2026-03-02T10:00:00.000Z', id: 'task-c' } })).toEqual(['task-d'])
        expect(await store.searchTasks({ ...all, after: { lastUpdated: '2026-03-03T12:00:00.000Z', id: 'task-e' } })).toEqual({ total: 5, tasks: [] })
        // a whole feed read page by page sees every Task once
        const seen: string[] = []
        let after: { lastUpdated: string, id: string } | undefined
        for (;;) {
          const { tasks } = await store.searchTasks({ count: 2, offset: 0, ...(after === undefined ? {} : { after }) })
          if (tasks.length === 0) break
          seen.push(...tasks.map((t) => t.id))
          const last = tasks.at(-1)!
          after = { lastUpdated: last.lastUpdated, id: last.id }
        }
        expect(seen).toEqual(['task-a', 'task-b', 'task-c', 'task-d', 'task-e'])
      })

      it('rejects a malformed date and a negative count', async () => {
        const store = await seeded()
        await expect(store.searchTasks({ ...all, lastUpdated: [{ prefix: 'gt', value: 'yesterday' }] })).rejects.toBeInstanceOf(RangeError)
        await expect(store.searchTasks({ count: -1, offset: 0 })).rejects.toBeInstanceOf(RangeError)
      })
    })

    describe('access scope', () => {
      /** two practices, two partnerships: A81001's referrals go to north-east, B82002's to both */
      async function scoped (): Promise<Store> {
        const store = await open()
        await store.saveReferral(referral('1', { owner: 'north-east', requesterOds: 'A81001', lastUpdated: '2026-03-01T10:00:00.000Z' }))
        await store.saveReferral(referral('2', { owner: 'north-east', requesterOds: 'B82002', lastUpdated: '2026-03-01T11:00:00.000Z' }))
        await store.saveReferral(referral('3', { owner: 'south-west', requesterOds: 'B82002', lastUpdated: '2026-03-01T12:00:00.000Z' }))
        await store.saveReferral(referral('4', { owner: 'south-west', lastUpdated: '2026-03-01T13:00:00.000Z' }))
        return store
      }
      const scope = (odsCodes: string[], partnerships: string[]): { odsCodes: string[], partnerships: string[] } => ({ odsCodes, partnerships })

      it('reads every resource of a referral inside the scope, and nothing outside it, exactly as an unknown id', async () => {
        const store = await scoped()
        for (const type of ['Patient', 'ServiceRequest', 'Task']) {
          const id = { Patient: 'pat-1', ServiceRequest: 'sr-1', Task: 'task-1' }[type] ?? ''
          expect((await store.readResource(type, id, scope(['A81001'], [])))?.id).toBe(id)
          expect((await store.readResource(type, id, scope([], ['north-east'])))?.id).toBe(id)
          expect(await store.readResource(type, id, scope(['B82002'], ['south-west']))).toBeUndefined()
          expect(await store.readResource(type, id, scope([], []))).toBeUndefined()
        }
        expect(await store.readResource('Patient', 'pat-404', scope(['A81001'], ['north-east']))).toBeUndefined()
        // a referral that named no practice is its partnership's alone
        expect((await store.readResource('Task', 'task-4', scope([], ['south-west'])))?.id).toBe('task-4')
      })

      it('matches, counts and pages only the Tasks inside the scope', async () => {
        const store = await scoped()
        const page = async (s: ReturnType<typeof scope>, extra: Partial<Parameters<Store['searchTasks']>[0]> = {}): Promise<{ total: number, ids: string[] }> => {
          const r = await store.searchTasks({ count: 100, offset: 0, scope: s, ...extra })
          return { total: r.total, ids: r.tasks.map((t) => t.id) }
        }
        expect(await page(scope(['B82002'], []))).toStrictEqual({ total: 2, ids: ['task-2', 'task-3'] })
        expect(await page(scope(['A81001'], ['south-west']))).toStrictEqual({ total: 3, ids: ['task-1', 'task-3', 'task-4'] })
        expect(await page(scope([], []))).toStrictEqual({ total: 0, ids: [] })
        expect(await page(scope([], ['north-east']), { owner: 'south-west' })).toStrictEqual({ total: 0, ids: [] })
        // keyset paging stays inside the scope
        expect(await page(scope(['B82002'], []), { count: 1, after: { lastUpdated: '2026-03-01T11:00:00.000Z', id: 'task-2' } })).toStrictEqual({ total: 2, ids: ['task-3'] })
      })
    })

    describe('updateTask', () => {
      const T1 = '2026-03-02T10:00:00.000Z'
      let store: Store

      beforeEach(async () => {
        store = await open()
        const task = taskVersion('1', T0, 'requested')
        await store.saveReferral({
          resources: [task],
          task: { id: 'task-1', basedOn: 'ServiceRequest/sr-1', owner: 'north-east', status: 'requested', lastUpdated: T0 },
          serviceRequestId: 'sr-1',
          audit: []
        })
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
      it('writes the new version, its search row and its audit record together', async () => {
        expect(await store.updateTask(write('1', '2', 'accepted'))).toEqual({ kind: 'updated' })
        const read = await store.readResource('Task', 'task-1')
        expect(read).toMatchObject({ versionId: '2', lastUpdated: T1 })
        expect((read?.resource as Task).status).toBe('accepted')
        expect(await harness.sql('SELECT status, last_updated FROM tasks')).toEqual([{ status: 'accepted', last_updated: T1 }])
        expect(await harness.sql('SELECT id, action, entity FROM audit_events')).toEqual([{ id: 'a-2', action: 'U', entity: 'Task/task-1' }])
        const found = await store.searchTasks({ status: 'accepted', lastUpdated: [{ prefix: 'gt', value: T0 }], count: 10, offset: 0 })
        expect(found.tasks.map((t) => t.versionId)).toEqual(['2'])
        expect((await store.searchTasks({ status: 'requested', count: 10, offset: 0 })).total).toBe(0)
      })

      it('of two updates from the same version, writes only the first', async () => {
      // on a networked store the two may reach the database in either order
        const results = await Promise.all([store.updateTask(write('1', '2', 'accepted')), store.updateTask(write('1', '2', 'rejected', 'a-other'))])
        expect([...results].sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([{ kind: 'updated' }, { kind: 'version-conflict', currentVersionId: '2' }])
        const [winner, auditId] = results[0]?.kind === 'updated' ? ['accepted', 'a-2'] : ['rejected', 'a-other']
        expect(((await store.readResource('Task', 'task-1'))?.resource as Task).status).toBe(winner)
        expect(await harness.sql('SELECT status FROM tasks')).toEqual([{ status: winner }])
        expect(await harness.sql('SELECT id FROM audit_events')).toEqual([{ id: auditId }])
      })

      it('chains versions', async () => {
        await store.updateTask(write('1', '2', 'accepted'))
        expect(await store.updateTask(write('2', '3', 'in-progress'))).toEqual({ kind: 'updated' })
        expect(await store.updateTask(write('2', '3', 'cancelled'))).toEqual({ kind: 'version-conflict', currentVersionId: '3' })
      })

      it('answers not-found for an unknown Task and writes nothing', async () => {
        const unknown: TaskVersionWrite = { ...write('1', '2', 'accepted'), task: { ...taskVersion('2', T1, 'accepted'), id: 'nope', resource: { resourceType: 'Task', id: 'nope', status: 'accepted', intent: 'order' } } }
        expect(await store.updateTask(unknown)).toEqual({ kind: 'not-found' })
        expect(await harness.sql('SELECT id FROM audit_events')).toEqual([])
      })

      it('rolls everything back when a part fails (a duplicate audit id)', async () => {
        await store.appendAudit(audit('dup'))
        await expect(store.updateTask(write('1', '2', 'accepted', 'dup'))).rejects.toThrow()
        expect((await store.readResource('Task', 'task-1'))?.versionId).toBe('1')
        expect(await harness.sql('SELECT status FROM tasks')).toEqual([{ status: 'requested' }])
      })

      function serviceRequestVersion (versionId: string, status: ServiceRequest['status']): StoredResource {
        const resource: ServiceRequest = { resourceType: 'ServiceRequest', id: 'sr-1', meta: { versionId, lastUpdated: T1 }, status, intent: 'order', subject: { reference: 'Patient/p' } }
        return { resourceType: 'ServiceRequest', id: 'sr-1', versionId, lastUpdated: T1, resource }
      }

      /** The suite's Task has no ServiceRequest stored: store sr-1 at version 1, with a Task of its own. */
      async function storeServiceRequest (): Promise<void> {
        const other: Task = { resourceType: 'Task', id: 'task-2', meta: { versionId: '1', lastUpdated: T0 }, status: 'requested', intent: 'order' }
        await store.saveReferral({
          resources: [serviceRequestVersion('1', 'active'), { resourceType: 'Task', id: 'task-2', versionId: '1', lastUpdated: T0, resource: other }],
          task: { id: 'task-2', basedOn: 'ServiceRequest/sr-1', owner: 'north-east', status: 'requested', lastUpdated: T0 },
          serviceRequestId: 'sr-1',
          audit: []
        })
      }

      it('writes an outbox row, other resources and a request id in the same transaction', async () => {
        await storeServiceRequest()
        expect(await store.claimRequestId('req-cancel', new Date(T0), 60_000)).toEqual({ kind: 'claimed' })
        const result = await store.updateTask({
          ...write('1', '2', 'cancelled'),
          resources: [{ resource: serviceRequestVersion('2', 'revoked'), expectedVersionId: '1' }],
          outbox: { id: 'out-cancel', partnershipId: 'north-east', serviceRequestId: 'sr-1', taskId: 'task-1', createdAt: '2026-03-02T11:00:00+01:00' },
          requestId: { id: 'req-cancel', serviceRequestId: 'sr-1' }
        })
        expect(result).toEqual({ kind: 'updated' })
        expect(((await store.readResource('ServiceRequest', 'sr-1'))?.resource as ServiceRequest).status).toBe('revoked')
        expect(await deliveryById(store, 'out-cancel')).toMatchObject({ kind: 'referral', status: 'pending', createdAt: T1, nextAttemptAt: T1 })
        expect(await store.claimRequestId('req-cancel', new Date(T1), 60_000)).toEqual({ kind: 'done', serviceRequestId: 'sr-1', taskId: 'task-1' })
      })

      it('stores a BaRS response row with its kind and payload, and claims it like any row', async () => {
        const payload = JSON.stringify(taskVersion('2', T1, 'accepted').resource)
        await store.updateTask({ ...write('1', '2', 'accepted'), outbox: { id: 'out-bars', kind: 'bars-response', partnershipId: 'bars:https://fhir.nhs.uk/Id/ods-organization-code|P1', serviceRequestId: 'sr-1', taskId: 'task-1', createdAt: T1, payload } })
        const [claimed] = await store.claimDueDeliveries(new Date(T1), 10, 60_000)
        expect(claimed).toMatchObject({ id: 'out-bars', kind: 'bars-response', payload })
        expect(JSON.parse(claimed?.payload ?? '')).toMatchObject({ status: 'accepted', meta: { versionId: '2' } })
      })

      it('writes nothing when another resource moved on from its expected version', async () => {
        await storeServiceRequest()
        const result = await store.updateTask({
          ...write('1', '2', 'cancelled'),
          resources: [{ resource: serviceRequestVersion('3', 'revoked'), expectedVersionId: '2' }],
          outbox: { id: 'out-x', partnershipId: 'north-east', serviceRequestId: 'sr-1', taskId: 'task-1', createdAt: T1 },
          requestId: { id: 'req-x', serviceRequestId: 'sr-1' }
        })
        expect(result).toEqual({ kind: 'resource-conflict', resourceType: 'ServiceRequest', id: 'sr-1', currentVersionId: '1' })
        expect((await store.readResource('Task', 'task-1'))?.versionId).toBe('1')
        expect(await harness.sql('SELECT status FROM tasks WHERE id = \'task-1\'')).toEqual([{ status: 'requested' }])
        expect(await deliveryById(store, 'out-x')).toBeUndefined()
        expect(await harness.sql('SELECT id FROM audit_events')).toEqual([])
        expect(await store.claimRequestId('req-x', new Date(T1), 60_000)).toEqual({ kind: 'claimed' })
        // an unknown resource is a conflict too
        expect(await store.updateTask({ ...write('1', '2', 'cancelled'), resources: [{ resource: { ...serviceRequestVersion('2', 'revoked'), id: 'sr-9', resource: { ...serviceRequestVersion('2', 'revoked').resource, id: 'sr-9' } }, expectedVersionId: '1' }] }))
          .toEqual({ kind: 'resource-conflict', resourceType: 'ServiceRequest', id: 'sr-9' })
      })

      it('creates a resource given without an expected version, and rolls back when its id is taken', async () => {
        await storeServiceRequest()
        const patient: StoredResource = { resourceType: 'Patient', id: 'pat-new', versionId: '1', lastUpdated: T1, resource: { resourceType: 'Patient', id: 'pat-new', meta: { versionId: '1', lastUpdated: T1 } } }
        const scope = { referralId: 'sr-1', owner: 'north-east', requesterOds: 'A81001' }
        await expect(store.updateTask({ ...write('1', '2', 'accepted'), resources: [{ resource: patient }] })).rejects.toThrow(/without its scope/)
        expect(await store.updateTask({ ...write('1', '2', 'accepted'), scope, resources: [{ resource: serviceRequestVersion('2', 'active'), expectedVersionId: '1' }, { resource: patient }] })).toEqual({ kind: 'updated' })
        expect(await store.readResource('Patient', 'pat-new')).toEqual(patient)
        expect(await store.readResource('Patient', 'pat-new', { odsCodes: ['A81001'], partnerships: [] })).toEqual(patient)
        expect(await store.readResource('Patient', 'pat-new', { odsCodes: ['B82002'], partnerships: ['south-west'] })).toBeUndefined()
        expect((await store.readResource('ServiceRequest', 'sr-1'))?.versionId).toBe('2')
        await expect(store.updateTask({ ...write('2', '3', 'in-progress'), scope, resources: [{ resource: patient }] })).rejects.toThrow(/unique|duplicate/i)
        expect((await store.readResource('Task', 'task-1'))?.versionId).toBe('2')
      })

      it('rolls back when its request id was completed by another request meanwhile', async () => {
        await store.saveReferral(referral('9', { requestId: 'req-taken' }))
        await expect(store.updateTask({ ...write('1', '2', 'cancelled'), requestId: { id: 'req-taken', serviceRequestId: 'sr-1' } })).rejects.toBeInstanceOf(RequestIdAlreadyDoneError)
        expect((await store.readResource('Task', 'task-1'))?.versionId).toBe('1')
      })

      it('refuses a write whose resource does not match its id, before touching the database', async () => {
        const mismatched: TaskVersionWrite = { ...write('1', '2', 'accepted'), task: { ...taskVersion('2', T1, 'accepted'), id: 'other' } }
        await expect(store.updateTask(mismatched)).rejects.toThrow(TypeError)
        expect((await store.readResource('Task', 'task-1'))?.versionId).toBe('1')
      })
    })
  })
}
