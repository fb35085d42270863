import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { openPgStore } from '../../../src/store/pg-store.ts'
import { dropSchema, pgUnavailable, TEST_DATABASE_URL, testSchemaName } from '../../helpers/postgres.ts'
import { describeStoreContract, referral } from './contract/index.ts'

const unavailable = await pgUnavailable()
if (unavailable !== undefined) {
  process.stdout.write(`pg-store.test.ts: skipping the PostgreSQL store contract: ${unavailable}\n`)
}

let schema: string | undefined

async function admin<T> (fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }) })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

describe.skipIf(unavailable !== undefined)('PostgreSQL', () => {
  describeStoreContract('PostgreSQL', {
    async fresh () {
      // each test in its own schema, so parallel test files never see each other's rows
      schema = testSchemaName()
    },
    async open () {
      if (schema === undefined) throw new Error('fresh() first')
      return openPgStore({ connectionString: TEST_DATABASE_URL, schema })
    },
    async sql (text) {
      return admin(async (c) => (await c.query<Record<string, unknown>>(text)).rows.map((row) =>
        // count(*) is a bigint, which pg returns as a string
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k === 'n' && typeof v === 'string' ? Number(v) : v]))))
    },
    async dispose () {
      if (schema === undefined) return
      const dropped = schema
      schema = undefined
      await dropSchema(dropped)
    }
  })

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openPgStore({ connectionString: TEST_DATABASE_URL, schema: 'x; DROP TABLE y' })).rejects.toBeInstanceOf(RangeError)
  })

  it('stores resource content with lz4 compression when the server has it (migration 3)', async () => {
    schema = testSchemaName()
    const store = await openPgStore({ connectionString: TEST_DATABASE_URL, schema })
    try {
      const lz4 = await admin(async (c) => {
        try {
          await c.query('CREATE TEMP TABLE lz4_probe (c text COMPRESSION lz4)')
          return true
        } catch {
          return false
        }
      })
      const rows = await admin(async (c) => (await c.query<{ m: string }>(`SELECT attcompression AS m FROM pg_attribute WHERE attrelid = '${schema ?? ''}.resources'::regclass AND attname = 'content'`)).rows)
      expect(rows[0]?.m).toBe(lz4 ? 'l' : '')
    } finally {
      await store.close()
      const dropped = schema
      schema = undefined
      if (dropped !== undefined) await dropSchema(dropped)
    }
  })

  it('writes referrals saved in the same turn of the event loop in one transaction (group commit), and apart ones apart', async () => {
    schema = testSchemaName()
    const store = await openPgStore({ connectionString: TEST_DATABASE_URL, schema })
    try {
      await Promise.all(['1', '2', '3', '4'].map(async (n) => { await store.saveReferral(referral(n)) }))
      await store.saveReferral(referral('5'))
      // rows written by one transaction share its id (xmin, PostgreSQL system columns §5.6)
      const rows = await admin(async (c) => (await c.query<{ id: string, x: string }>('SELECT id, xmin::text AS x FROM tasks ORDER BY id')).rows)
      expect(rows.map((r) => r.id)).toStrictEqual(['task-1', 'task-2', 'task-3', 'task-4', 'task-5'])
      expect(new Set(rows.slice(0, 4).map((r) => r.x)).size).toBe(1)
      expect(rows[4]?.x).not.toBe(rows[0]?.x)
    } finally {
      await store.close()
      const dropped = schema
      schema = undefined
      if (dropped !== undefined) await dropSchema(dropped)
    }
  })
})
