import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import { runStoreContract } from './contract.ts';
import { runSearchContract } from './search-contract.ts';
import { openTestSqlite } from './open-test-store.ts';

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
