// Opens the configured store: PostgreSQL when a database URL is given, otherwise a SQLite
// file `<dataDir>/gateway.sqlite`. Migrations are applied before it is returned.
import path from 'node:path';
import { openPostgresRunner } from './postgres/pg-runner.ts';
import { createSqlStore } from './sql-store.ts';
import { openSqliteRunner } from './sqlite/sqlite-runner.ts';
import type { Indexer, Store } from './store.ts';

export interface OpenStoreOptions {
  databaseUrl?: string;
  dataDir: string;
  /** PostgreSQL only: the schema holding every table (created when missing). */
  schema?: string;
  indexer?: Indexer;
  /** PostgreSQL pool size; default 10. */
  poolSize?: number;
  /** PostgreSQL statement timeout; default 15 s. */
  statementTimeoutMs?: number;
  /** SQLite busy timeout; default 5 s. */
  busyTimeoutMs?: number;
  /** Clock in epoch milliseconds, for tests; default Date.now. */
  now?: () => number;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const storeOptions = { indexer: options.indexer, now: options.now };
  if (options.databaseUrl) {
    const runner = await openPostgresRunner({
      databaseUrl: options.databaseUrl,
      schema: options.schema,
      max: options.poolSize,
      statementTimeoutMs: options.statementTimeoutMs,
    });
    return createSqlStore(runner, storeOptions);
  }
  const runner = openSqliteRunner({ file: path.join(options.dataDir, 'gateway.sqlite'), busyTimeoutMs: options.busyTimeoutMs });
  return createSqlStore(runner, storeOptions);
}
