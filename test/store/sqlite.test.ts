import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import { planSearch } from '../../src/store/search/plan.ts';
import type { SearchQuery } from '../../src/store/store.ts';
import { runStoreContract } from './contract.ts';
import { runSearchContract } from './search-contract.ts';
import { openTestSqlite } from './open-test-store.ts';
import { testIndexer } from './test-indexer.ts';

const processScript = fileURLToPath(new URL('./fixtures/sqlite-process.ts', import.meta.url));

function runProcess(dataDir: string, label: string, rounds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [processScript, dataDir, label, String(rounds)], { timeout: 20_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

runStoreContract('sqlite', () => openTestSqlite());

describe('SQLite adapter', () => {
  it('lets two processes share one file: one migration, one conditional create, no double claims', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'store-test-'));
    try {
      const seed = await openStore({ dataDir });
      for (let i = 0; i < 20; i++) {
        await seed.enqueue({ destination: 'd', orderingKey: `k${i}`, reason: 'r', payload: i });
      }
      await seed.close();
      const outputs = await Promise.all(['a', 'b'].map((label) => runProcess(dataDir, label, 10)));
      const results = outputs.map((o) => JSON.parse(o) as { created: string[]; claimed: number[] });
      expect(results.flatMap((r) => r.created)).toHaveLength(1);
      const claimed = results.flatMap((r) => r.claimed).sort((x, y) => x - y);
      expect(claimed).toEqual(Array.from({ length: 20 }, (_, i) => i));

      const db = new DatabaseSync(path.join(dataDir, 'gateway.sqlite'));
      const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all().map((r) => r.version);
      expect(versions.length).toBeGreaterThan(0);
      expect(versions).toEqual([...new Set(versions)]);
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      db.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to change or delete audit records', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'store-test-'));
    try {
      const store = await openStore({ dataDir });
      await store.appendAudit('t', { resourceType: 'AuditEvent' } as never);
      await store.close();
      const db = new DatabaseSync(path.join(dataDir, 'gateway.sqlite'));
      expect(() => db.exec("UPDATE audit_events SET tenant = 'x'")).toThrow(/append-only/);
      expect(() => db.exec('DELETE FROM audit_events')).toThrow(/append-only/);
      db.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

runSearchContract('sqlite', (options) => openTestSqlite(options));

describe('SQLite search plans', () => {
  it('answers owner + status + _lastUpdated from the index tables, never scanning resources', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'store-test-'));
    try {
      const store = await openStore({ dataDir, indexer: testIndexer });
      await store.close();
      const query: SearchQuery = {
        resourceType: 'Task',
        filters: [
          { kind: 'reference', param: 'owner', values: ['Organization/o1'] },
          { kind: 'token', param: 'status', values: [{ code: 'requested' }, { code: 'accepted' }] },
          { kind: 'lastUpdated', values: [{ prefix: 'ge', value: '2025-01-01' }] },
        ],
        sort: [{ param: '_lastUpdated', descending: true }],
      };
      const db = new DatabaseSync(path.join(dataDir, 'gateway.sqlite'));
      const first = planSearch('t', query, undefined, Date.now());
      const next = planSearch('t', query, { keys: [Date.now()], id: 'x' }, Date.now());
      for (const plan of [first.page, next.page, first.count]) {
        const details = (db.prepare(`EXPLAIN QUERY PLAN ${plan.sql}`).all(...plan.params) as { detail: string }[]).map((r) => r.detail);
        expect(details.some((d) => /SEARCH x USING COVERING INDEX idx_reference_search/.test(d))).toBe(true);
        expect(details.some((d) => /idx_token_owner \(tenant=\? AND type=\? AND id=\? AND param=\?/.test(d))).toBe(true);
        expect(details.filter((d) => /^SCAN /.test(d))).toEqual([]);
      }
      db.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
