import path from 'node:path'
import type { Config } from '../config.ts'
import { openPgStore } from './pg-store.ts'
import { openSqliteStore } from './sqlite-store.ts'
import type { Store } from './store.ts'
import { openThreadedSqliteStore } from './threaded-sqlite-store.ts'

/**
 * Opens the configured store and runs its migrations: PostgreSQL when DATABASE_URL is set
 * (several instances may share it), otherwise SQLite in the data folder (one instance), its
 * writes on a worker thread unless WORKWELL_SQLITE_WRITER_THREAD=false.
 */
export async function openStore (config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir' | 'sqliteWriterThread' | 'duplicates'>): Promise<Store> {
  if (config.databaseUrl !== undefined) {
    return openPgStore({ connectionString: config.databaseUrl, poolSize: config.databasePoolSize })
  }
  const file = path.join(config.dataDir, 'workwell.sqlite')
  return config.sqliteWriterThread ? openThreadedSqliteStore({ file, duplicateWindowDays: config.duplicates.windowDays }) : openSqliteStore({ file })
}
