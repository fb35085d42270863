import { startGateway, type TestGateway } from './gateway.ts'
import { databaseUrlInNewSchema, dropSchema, pgUnavailable } from './postgres.ts'

export type StoreKind = 'sqlite' | 'postgres'

/** The stores a test file can run on here: SQLite always, PostgreSQL when it answers (said once when it does not). */
export async function availableStores (testFile: string): Promise<readonly StoreKind[]> {
  const unavailable = await pgUnavailable()
  if (unavailable !== undefined) process.stdout.write(`${testFile}: PostgreSQL cases skipped: ${unavailable}\n`)
  return unavailable === undefined ? ['sqlite', 'postgres'] : ['sqlite']
}

/** A test gateway on the given store (PostgreSQL in a schema of its own); close() also drops that schema. */
export async function startGatewayOn (store: StoreKind): Promise<{ gw: TestGateway, close: () => Promise<void> }> {
  if (store === 'sqlite') {
    const gw = await startGateway()
    return { gw, close: async () => { await gw.close() } }
  }
  const db = await databaseUrlInNewSchema()
  const gw = await startGateway({ env: { DATABASE_URL: db.url } })
  return { gw, close: async () => { await gw.close(); await dropSchema(db.schema) } }
}
