// The statistics upkeep's bookkeeping (src/store/postgres/statistics.ts): which table a
// statement writes, and which tables changed enough to be analyzed again.
import { describe, expect, it } from 'vitest';
import { dueTables, writtenTable } from '../../src/store/postgres/statistics.ts';

describe('statistics upkeep', () => {
  it.each([
    ['INSERT INTO idx_token (tenant, type) VALUES (?, ?)', 'idx_token'],
    ['  update resources SET version_id = ? WHERE id = ?', 'resources'],
    ['DELETE FROM idx_reference WHERE tenant = ?', 'idx_reference'],
    ['SELECT seq FROM audit_events', undefined],
    ['WITH x AS (SELECT 1) INSERT INTO outbox SELECT * FROM x', undefined],
  ])('%s writes %s', (sql, table) => {
    expect(writtenTable(sql)).toBe(table);
  });

  it('analyzes a table after 50 rows plus 10 % of its size changed, a never-analyzed one after 50', () => {
    const changed = new Map([
      ['resources', 1_051],
      ['idx_token', 1_050],
      ['outbox', 51],
      ['leases', 50],
    ]);
    const sizes = new Map([
      ['resources', 10_000],
      ['idx_token', 10_000],
      ['outbox', -1],
      ['leases', 0],
    ]);
    expect(dueTables(changed, sizes)).toEqual(['outbox', 'resources']);
  });
});
