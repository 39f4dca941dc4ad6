import pg from 'pg';
import type { AuditEvent } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { findBrokenLink } from '../../src/store/audit-chain.ts';
import { openStore } from '../../src/store/open.ts';
import { runStoreContract } from './contract.ts';
import { testIndexer } from './test-indexer.ts';
import { runSearchContract } from './search-contract.ts';
import { dropSchema, openTestPostgres, postgresUrl, uniqueSchema } from './open-test-store.ts';

const { url, reason } = postgresUrl();

if (url) {
  runStoreContract('postgres', () => openTestPostgres(url));
  runSearchContract('postgres', (options) => openTestPostgres(url, options));

  describe('PostgreSQL adapter', () => {
    it('keeps planner statistics current, so a reference search over a freshly written schema uses its index', async () => {
      const schema = uniqueSchema();
      const store = await openStore({ databaseUrl: url, dataDir: '.', schema, indexer: testIndexer, poolSize: 4 });
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        // 4,000 Tasks in 20 transactions; nothing else runs ANALYZE on the test schema (and the
        // development server has autovacuum off).
        for (let batch = 0; batch < 20; batch++) {
          await store.createMany(
            't',
            Array.from({ length: 200 }, (_, k) => ({ resourceType: 'Task' as const, id: `t${batch * 200 + k}`, status: 'requested' as const, intent: 'order' as const, focus: { reference: `Task/src-${batch * 200 + k}` } })),
          );
        }
        const analyzed = async () =>
          (
            await client.query<{ relname: string }>(
              `SELECT relname FROM pg_stat_user_tables WHERE schemaname = $1 AND last_analyze IS NOT NULL AND relname IN ('resources', 'idx_reference')`,
              [schema],
            )
          ).rows.length;
        for (let waited = 0; (await analyzed()) < 2 && waited < 15_000; waited += 100) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(await analyzed()).toBe(2);
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const started = performance.now();
          const found = await store.search('t', {
            resourceType: 'Task',
            filters: [{ kind: 'reference', param: 'focus', values: [`Task/src-${i * 700}`, `http://elsewhere.example/Task/src-${i * 700}`] }],
            count: 1000,
          });
          times.push(performance.now() - started);
          expect(found.versions.map((v) => v.id)).toEqual([`t${i * 700}`]);
        }
        // Without statistics this search rescanned the reference index once per Task (seconds).
        expect(Math.min(...times)).toBeLessThan(100);
      } finally {
        await client.end();
        await store.close();
        await dropSchema(url, schema);
      }
    });

    it('keeps one audit chain when two processes append at the same time', async () => {
      const schema = uniqueSchema();
      const stores = await Promise.all([1, 2].map(() => openStore({ databaseUrl: url, dataDir: '.', schema, poolSize: 4 })));
      try {
        const event = (n: number) => ({ resourceType: 'AuditEvent', id: `e${n}` }) as AuditEvent;
        const written = await Promise.all(Array.from({ length: 200 }, (_, n) => stores[n % 2].appendAudit(`t${n % 2}`, event(n))));
        expect(new Set(written.map((r) => r.seq)).size).toBe(200);
        const records = await stores[0].readAudit({ limit: 1000 });
        expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        expect(findBrokenLink(records)).toBeUndefined();
        for (const record of written) {
          expect(records[record.seq - 1]).toEqual(record);
        }
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await dropSchema(url, schema);
      }
    });

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
