// Group commit of audit appends (src/store/audit-appender.ts) over a scripted connection: the
// appends waiting together go in one statement, and when that statement fails every one of
// them is rejected, none resolved.
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { auditAppender } from '../../src/store/audit-appender.ts';
import type { Executor, Runner, SqlValue } from '../../src/store/sql/executor.ts';
import { sqliteDialect } from '../../src/store/sqlite/sqlite-runner.ts';

function scriptedRunner(onInsert: (params: readonly SqlValue[]) => Promise<number>): { runner: Runner; inserts: number[] } {
  const inserts: number[] = [];
  // The chain's last record as the database would hold it.
  let last: { seq: number; hash: string } | undefined;
  const exec: Executor = {
    all: async <R>(sql: string) => {
      if (!sql.startsWith('SELECT seq, hash FROM audit_events')) throw new Error(`unexpected query ${sql}`);
      return (last ? [last] : []) as R[];
    },
    run: async (sql, params = []) => {
      if (!sql.startsWith('INSERT INTO audit_events')) throw new Error(`unexpected statement ${sql}`);
      const rows = Math.floor(params.length / 6);
      inserts.push(rows);
      const inserted = await onInsert(params);
      if (inserted === rows) last = { seq: Number(params[(rows - 1) * 6]), hash: String(params[(rows - 1) * 6 + 5]) };
      return inserted;
    },
  };
  const runner: Runner = {
    dialect: sqliteDialect,
    read: (fn) => fn(exec),
    inTransaction: () => false,
    transaction: (fn) => fn(exec),
    ping: async () => undefined,
    close: async () => undefined,
  };
  return { runner, inserts };
}

const event = (n: number): Resource => ({ resourceType: 'AuditEvent', id: `e${n}` }) as Resource;

describe('audit appender', () => {
  it('writes the appends that wait together in one statement, in order', async () => {
    const { runner, inserts } = scriptedRunner(async (params) => Math.floor(params.length / 6));
    const appender = auditAppender(runner, () => 0);
    const records = await Promise.all(Array.from({ length: 7 }, (_, n) => appender.append('t', event(n))));
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(records.map((r) => r.event.id)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    // The first append starts at once; the six that arrived meanwhile share the next statement.
    expect(inserts).toEqual([1, 6]);
    records.slice(1).forEach((r, i) => expect(r.prevHash).toBe(records[i].hash));
  });

  it('rejects every append of a statement that failed, and goes on with the next ones', async () => {
    let calls = 0;
    const { runner, inserts } = scriptedRunner(async (params) => {
      calls += 1;
      if (calls === 2) throw new Error('disk full');
      return Math.floor(params.length / 6);
    });
    const appender = auditAppender(runner, () => 0);
    const first = await Promise.allSettled(Array.from({ length: 4 }, (_, n) => appender.append('t', event(n))));
    expect(first.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
    expect((first[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'disk full' });
    const after = await appender.append('t', event(9));
    expect(after.seq).toBe(2);
    expect(inserts).toEqual([1, 3, 1]);
  });

  it('gives up with 503 when the chain keeps moving under it', async () => {
    const { runner } = scriptedRunner(async () => 0);
    const appender = auditAppender(runner, () => 0);
    await expect(appender.append('t', event(1))).rejects.toMatchObject({ outcome: { issue: [{ code: 'transient' }] } });
  });
});
