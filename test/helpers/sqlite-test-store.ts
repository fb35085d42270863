import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync, type SQLInputValue } from 'node:sqlite'
import { openSqliteStore } from '../../src/store/sqlite-store.ts'
import { toCircuitRecord, toOutboxRow } from '../../src/store/store-rows.ts'
import type { CircuitRecord, OutboxRow, Store } from '../../src/store/store.ts'

/**
 * A real SQLite store in a fresh file, plus a second connection that reads and changes its
 * rows directly, synchronously, as a test needs (what no Store method offers: a row by id, a
 * resource gone missing, a row put back as if a crash undid its outcome).
 */
export interface SqliteTestStore {
  store: Store
  /** the outbox row, as the store would return it; throws when there is none */
  row: (id: string) => OutboxRow
  /** every outbox row, oldest first */
  rows: () => OutboxRow[]
  circuit: (partnershipId: string) => CircuitRecord | undefined
  /** runs one statement on the side connection */
  sql: (text: string, ...params: SQLInputValue[]) => void
  /** closes both connections and deletes the file */
  close: () => Promise<void>
}

export async function openSqliteTestStore (): Promise<SqliteTestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'workwell-test-store-'))
  const file = join(dir, 'gateway.sqlite')
  const store = await openSqliteStore({ file })
  const db = new DatabaseSync(file)
  let closed = false
  return {
    store,
    row (id) {
      const row = db.prepare('SELECT * FROM outbox WHERE id = ?').get(id)
      if (row === undefined) throw new Error(`no outbox row ${id}`)
      return toOutboxRow(row)
    },
    rows: () => db.prepare('SELECT * FROM outbox ORDER BY created_at, id').all().map(toOutboxRow),
    circuit (partnershipId) {
      const row = db.prepare('SELECT * FROM delivery_circuits WHERE partnership_id = ?').get(partnershipId)
      return row === undefined ? undefined : toCircuitRecord(row)
    },
    sql (text, ...params) { db.prepare(text).run(...params) },
    async close () {
      if (closed) return
      closed = true
      db.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
