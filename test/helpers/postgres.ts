import pg from 'pg'

/** The CI PostgreSQL server (.ci/run starts it and creates the database). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Why PostgreSQL tests cannot run here, or undefined when the server answers. */
export async function pgUnavailable (): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return undefined
  } catch (err) {
    return `PostgreSQL at ${TEST_DATABASE_URL} is not reachable (${err instanceof Error ? err.message : String(err)})`
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** A fresh schema name for one test run, so parallel test files never share rows. */
export function testSchemaName (): string {
  return `t_${Math.random().toString(36).slice(2, 12)}_${process.pid}`
}

/** Drops a test schema and everything in it. */
export async function dropSchema (schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  } finally {
    await client.end()
  }
}

/**
 * Creates a fresh schema and returns a DATABASE_URL whose connections work in it, so a
 * spawned gateway (which only sees DATABASE_URL) stays inside it.
 */
export async function databaseUrlInNewSchema (): Promise<{ url: string, schema: string }> {
  const schema = testSchemaName()
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    await client.query(`CREATE SCHEMA ${schema}`)
  } finally {
    await client.end()
  }
  const url = new URL(TEST_DATABASE_URL)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return { url: url.toString(), schema }
}

/** Runs one query in a schema and returns its rows. */
export async function queryInSchema (schema: string, text: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` })
  await client.connect()
  try {
    return (await client.query<Record<string, unknown>>(text)).rows
  } finally {
    await client.end()
  }
}
