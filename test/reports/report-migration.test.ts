// Migration 006 on a database written before it: the Task rows get their focus's need data
// and the Goal and CarePlan rows their report elements from the tables already there, the
// report (read from the entries while summaries are missing) equals the history read, and
// after `rebuildReportProjection` the summaries are there and the report is unchanged.
// SQLite always, PostgreSQL when DATABASE_URL is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runReferralReport } from '../../src/reports/referral-report.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { dropSchema, postgresUrl, uniqueSchema } from '../store/open-test-store.ts';
import { PERIOD, generateReferralHistory } from '../workflow/support/referral-history-generator.ts';
import { type Clock, loadHistory } from './support/load-history.ts';

const generated = generateReferralHistory(400, 5);
const kinds = postgresUrl().url ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

/** What migration 006 added, taken away again: the database as a gateway before it left it. */
const UNDO_006 = [
  'DROP INDEX report_tasks_wholly',
  'DROP INDEX report_tasks_span',
  'DROP INDEX report_tasks_unsummarised',
  'DROP INDEX report_tasks_focus',
  'DROP INDEX report_procedures_unfilled',
  'CREATE INDEX report_tasks_last ON report_tasks (tenant, last_ms)',
  ...['counts', 'sent_ms', 'accepted_ms', 'completed_ms', 'status', 'reason', 'owner', 'outcomes', 'procedures', 'categories', 'consent'].map(
    (column) => `ALTER TABLE report_tasks DROP COLUMN ${column}`,
  ),
  'ALTER TABLE report_procedures DROP COLUMN performed_ms',
  'ALTER TABLE report_goals DROP COLUMN element',
  'ALTER TABLE report_care_plans DROP COLUMN element',
  'DELETE FROM schema_migrations WHERE version = 6',
];

interface Target {
  open(clock: Clock): Promise<Store>;
  undo(): Promise<void>;
  cleanup(): Promise<void>;
}

function sqliteTarget(): Target {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'report-migration-'));
  return {
    open: (clock) => openStore({ dataDir, now: () => clock.now }),
    undo: async () => {
      const db = new DatabaseSync(path.join(dataDir, 'gateway.sqlite'));
      try {
        for (const sql of UNDO_006) db.exec(sql);
      } finally {
        db.close();
      }
    },
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

function postgresTarget(databaseUrl: string): Target {
  const schema = uniqueSchema();
  return {
    open: (clock) => openStore({ databaseUrl, dataDir: '.', schema, now: () => clock.now, poolSize: 4 }),
    undo: async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`SET search_path TO ${schema}`);
        for (const sql of UNDO_006) await client.query(sql);
      } finally {
        await client.end();
      }
    },
    cleanup: () => dropSchema(databaseUrl, schema),
  };
}

describe.each(kinds)('report projection migration 006 on %s', (kind) => {
  const target = kind === 'sqlite' ? sqliteTarget() : postgresTarget(postgresUrl().url as string);
  afterAll(() => target.cleanup());

  it('fills the new columns from the rows already there; reports stay equal before and after a rebuild', async () => {
    const clock: Clock = { now: 0 };
    let store = await target.open(clock);
    await loadHistory(store, clock, generated.input);
    const expected = (await runReferralReport(store, { period: PERIOD, source: 'history' })).report;
    expect(expected.overall.funnel.sent).toBeGreaterThan(100);
    await store.close();

    await target.undo();
    store = await target.open(clock);
    try {
      const before = await store.readReportProjection('default', PERIOD);
      expect(before.summaryGroups).toHaveLength(0);
      expect(before.carePlans.length).toBeGreaterThan(0);
      expect((await runReferralReport(store, { period: PERIOD })).report).toEqual(expected);

      await store.rebuildReportProjection('default');
      const after = await store.readReportProjection('default', PERIOD);
      expect(after.summaryGroups.reduce((n, g) => n + g.count, 0)).toBeGreaterThan(expected.overall.funnel.sent / 2);
      expect((await runReferralReport(store, { period: PERIOD })).report).toEqual(expected);
    } finally {
      await store.close();
    }
  }, 120_000);
});
