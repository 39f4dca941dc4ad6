import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import { runStoreContract } from './contract.ts';
import { runSearchContract } from './search-contract.ts';
import { dropSchema, openTestPostgres, postgresUrl, uniqueSchema } from './open-test-store.ts';

const { url, reason } = postgresUrl();

if (url) {
  runStoreContract('postgres', () => openTestPostgres(url));
  runSearchContract('postgres', (options) => openTestPostgres(url, options));

  describe('PostgreSQL adapter', () => {
    it('migrates once when several processes open the same schema at once', async () => {
      const schema = uniqueSchema();
      try {
        const stores = await Promise.all([1, 2, 3].map(() => openStore({ databaseUrl: url, dataDir: '.', schema, poolSize: 2 })));
        await Promise.all(stores.map((s) => s.ping()));
        await Promise.all(stores.map((s) => s.close()));
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          const rows = (await client.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows.map((r) => r.version);
          expect(rows.length).toBeGreaterThan(0);
          expect(rows).toEqual([...new Set(rows)]);
          await expect(client.query(`INSERT INTO ${schema}.audit_events VALUES (1, 'r', 't', '{}', 'p', 'h')`)).resolves.toBeDefined();
          await expect(client.query(`UPDATE ${schema}.audit_events SET tenant = 'x'`)).rejects.toThrow(/append-only/);
          await expect(client.query(`DELETE FROM ${schema}.audit_events`)).rejects.toThrow(/append-only/);
        } finally {
          await client.end();
        }
      } finally {
        await dropSchema(url, schema);
      }
    });
  });
} else {
  describe('PostgreSQL store', () => {
    it.skip(`skipped: ${reason}`, () => undefined);
  });
}
