// `gateway audit verify` on SQLite and PostgreSQL: intact chains pass (exit 0), an edited or
// deleted row is found (exit 1) and named by its seq.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { runAudit } from '../../src/cli/audit-command.ts';
import { auditOutbound } from '../../src/security/audit-trail.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { dropSchema, postgresUrl, uniqueSchema } from '../store/open-test-store.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function fill(store: Store, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await auditOutbound(store, { tenant: 'platform', method: i % 2 ? 'PUT' : 'GET', url: 'https://ehr.example/fhir/Task/1', status: 200, resource: `Task/t${i}` });
  }
}

async function verify(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runAudit(['verify', ...args], { stdout: (s) => (out += s), stderr: (s) => (out += s) });
  return { code, out };
}

test('SQLite: an edited row and a deleted row break the chain', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'audit-verify-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const store = await openStore({ dataDir });
  await fill(store, 6);
  await store.close();

  expect(await verify(['--data-dir', dataDir])).toEqual({ code: 0, out: 'audit chain intact: 6 records\n' });

  const db = new DatabaseSync(path.join(dataDir, 'gateway.sqlite'));
  // Triggers refuse UPDATE and DELETE; someone with the database file drops them first.
  expect(() => db.prepare('UPDATE audit_events SET tenant = ? WHERE seq = 1').run('x')).toThrow(/append-only/);
  db.exec('DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;');
  db.prepare("UPDATE audit_events SET event = replace(event, 'Task/t3', 'Task/t9') WHERE seq = 4").run();
  expect(await verify(['--data-dir', dataDir])).toEqual({ code: 1, out: 'audit chain BROKEN: record 4 was changed (3 records before it are intact)\n' });

  // Restore the row, then remove another one.
  db.prepare("UPDATE audit_events SET event = replace(event, 'Task/t9', 'Task/t3') WHERE seq = 4").run();
  expect((await verify(['--data-dir', dataDir])).code).toBe(0);
  db.prepare('DELETE FROM audit_events WHERE seq = 2').run();
  db.close();
  const deleted = await verify(['--data-dir', dataDir]);
  expect(deleted.code).toBe(1);
  expect(deleted.out).toContain('record 2 is missing');
  console.log('audit verify (sqlite): intact chain exit 0; edited row exit 1 at seq 4; deleted row exit 1 at seq 2');
});

const { url } = postgresUrl();
describe.runIf(url)('PostgreSQL', () => {
  test('an edited row breaks the chain even after the append-only trigger is bypassed', async () => {
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(url!, schema));
    const store = await openStore({ databaseUrl: url, dataDir: '.', schema });
    await fill(store, 5);
    await store.close();
    expect(await verify(['--database-url', url!, '--schema', schema])).toEqual({ code: 0, out: 'audit chain intact: 5 records\n' });

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // The trigger refuses a plain UPDATE; an attacker with owner rights disables it first.
      await expect(client.query(`UPDATE ${schema}.audit_events SET tenant = 'x' WHERE seq = 3`)).rejects.toThrow(/append-only/);
      await client.query(`ALTER TABLE ${schema}.audit_events DISABLE TRIGGER audit_events_no_change`);
      await client.query(`UPDATE ${schema}.audit_events SET tenant = 'someone-else' WHERE seq = 3`);
    } finally {
      await client.end();
    }
    expect(await verify(['--database-url', url!, '--schema', schema])).toEqual({ code: 1, out: 'audit chain BROKEN: record 3 was changed (2 records before it are intact)\n' });
    console.log('audit verify (postgres): intact chain exit 0; edited row exit 1 at seq 3');
  });
});

test('usage errors exit 2', async () => {
  expect((await verify(['--no-such-option'])).code).toBe(2);
});
