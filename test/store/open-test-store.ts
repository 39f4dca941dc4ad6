// Fresh stores for the store suites: a SQLite file in a new temporary folder, or a new
// PostgreSQL schema that is dropped when the store closes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/open.ts';
import type { Indexer, Store } from '../../src/store/store.ts';
import { testIndexer } from './test-indexer.ts';

export interface TestStoreOptions {
  indexer?: Indexer;
  now?: () => number;
}

export async function openTestSqlite(options: TestStoreOptions = {}): Promise<Store> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'store-test-'));
  const store = await openStore({ dataDir, indexer: options.indexer ?? testIndexer, now: options.now });
  return withCleanup(store, async () => rmSync(dataDir, { recursive: true, force: true }));
}

export function uniqueSchema(): string {
  return `test_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export async function openTestPostgres(databaseUrl: string, options: TestStoreOptions = {}): Promise<Store> {
  const schema = uniqueSchema();
  const store = await openStore({ databaseUrl, dataDir: '.', schema, indexer: options.indexer ?? testIndexer, now: options.now, poolSize: 8 });
  return withCleanup(store, () => dropSchema(databaseUrl, schema));
}

function withCleanup(store: Store, cleanup: () => Promise<void>): Store {
  return {
    ...store,
    close: async () => {
      await store.close();
      await cleanup();
    },
  };
}

/** The PostgreSQL suites run when DATABASE_URL is set; in CI a missing URL is a failure, not a skip. */
export function postgresUrl(): { url?: string; reason?: string } {
  const url = process.env.DATABASE_URL;
  if (url) {
    return { url };
  }
  if (process.env.CI) {
    throw new Error('DATABASE_URL is not set: the PostgreSQL store suites must run in CI');
  }
  return { reason: 'DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test): PostgreSQL store suites skipped' };
}
