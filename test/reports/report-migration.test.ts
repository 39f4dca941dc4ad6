// Migrations 006 and 007 on a database written before them: the Task rows get their focus's
// need data from the tables already there, the care plans their report rows and links on the
// first report (completeReportProjection), the report (read from the entries while summaries
// are missing) equals the history read, and after `rebuildReportProjection` the summaries are
// there and the report is unchanged.
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
import type { ReferralReport } from '../../src/workflow/report/report-types.ts';
import { dropSchema, postgresUrl, uniqueSchema } from '../store/open-test-store.ts';
import { PERIOD, generateReferralHistory } from '../workflow/support/referral-history-generator.ts';
import { type Clock, loadHistory } from './support/load-history.ts';

const generated = generateReferralHistory(400, 5);
const kinds = postgresUrl().url ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

/** What migration 007 added, taken away again: the database as a gateway before it left it. */
const UNDO_007 = [
  'DROP TABLE report_care_plan_links',
  'DROP INDEX report_care_plans_unbuilt',
  'ALTER TABLE report_care_plans DROP COLUMN report_row',
  'ALTER TABLE report_goals ADD COLUMN element TEXT',
  'ALTER TABLE report_care_plans ADD COLUMN element TEXT',
  'DROP INDEX report_tasks_unlinked',
  'DROP TABLE report_task_procedures',
  'DROP INDEX report_tasks_wholly',
  'ALTER TABLE report_tasks DROP COLUMN procedures_known',
  'ALTER TABLE report_tasks DROP COLUMN service_ms',
  // (dropped again with what 006 added)
  'CREATE INDEX report_tasks_wholly ON report_tasks (tenant, first_ms, last_ms)',
  'DELETE FROM schema_migrations WHERE version = 7',
];

/** What migration 006 added (after 007's undo). */
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
  undo(statements: readonly string[]): Promise<void>;
  cleanup(): Promise<void>;
}

function sqliteTarget(): Target {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'report-migration-'));
  return {
    open: (clock) => openStore({ dataDir, now: () => clock.now }),
    undo: async (statements) => {
      const db = new DatabaseSync(path.join(dataDir, 'gateway.sqlite'));
      try {
        for (const sql of statements) db.exec(sql);
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
    undo: async (statements) => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`SET search_path TO ${schema}`);
        for (const sql of statements) await client.query(sql);
      } finally {
        await client.end();
      }
    },
    cleanup: () => dropSchema(databaseUrl, schema),
  };
}

/** Runs completeReportProjection until done; the totals of what it built. */
async function complete(store: Store): Promise<{ tasks: number; carePlans: number }> {
  const total = { tasks: 0, carePlans: 0 };
  for (;;) {
    const batch = await store.completeReportProjection('default');
    total.tasks += batch.tasks;
    total.carePlans += batch.carePlans;
    if (batch.done) return total;
  }
}

describe.each(kinds)('report projection migrations 006 and 007 on %s', (kind) => {
  const targets: Target[] = [];
  const newTarget = () => {
    const target = kind === 'sqlite' ? sqliteTarget() : postgresTarget(postgresUrl().url as string);
    targets.push(target);
    return target;
  };
  afterAll(async () => {
    for (const target of targets) await target.cleanup();
  });

  /** A store loaded with the generated history, taken back to before the migrations `undo` names, reopened. */
  async function loadedThenUndone(undo: readonly string[]): Promise<{ store: Store; expected: ReferralReport }> {
    const target = newTarget();
    const clock: Clock = { now: 0 };
    const loaded = await target.open(clock);
    await loadHistory(loaded, clock, generated.input);
    const expected = (await runReferralReport(loaded, { period: PERIOD, source: 'history' })).report;
    expect(expected.overall.funnel.sent).toBeGreaterThan(100);
    await loaded.close();
    await target.undo(undo);
    return { store: await target.open(clock), expected };
  }

  it('from before 006: fills the new columns from the rows already there; reports stay equal before and after a rebuild', async () => {
    const { store, expected } = await loadedThenUndone([...UNDO_007, ...UNDO_006]);
    try {
      // Before the rows are built a report would see no care plan; building them is the first step of every report.
      expect((await store.readReportProjection('default', PERIOD)).carePlanSummaries).toHaveLength(0);
      // (Tasks get their first service once summarised: by the rebuild below.)
      expect(await complete(store)).toEqual({ tasks: 0, carePlans: generated.input.carePlans.length });
      expect(await store.completeReportProjection('default')).toEqual({ procedures: 0, tasks: 0, carePlans: 0, done: true });
      const before = await store.readReportProjection('default', PERIOD);
      expect(before.summaryGroups).toHaveLength(0);
      expect(before.carePlanSummaries.length).toBeGreaterThan(0);
      expect((await runReferralReport(store, { period: PERIOD })).report).toEqual(expected);

      await store.rebuildReportProjection('default');
      const after = await store.readReportProjection('default', PERIOD);
      expect(after.summaryGroups.reduce((n, g) => n + g.count, 0)).toBeGreaterThan(expected.overall.funnel.sent / 2);
      expect((await runReferralReport(store, { period: PERIOD })).report).toEqual(expected);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('from 006: links the summarised Tasks to their Procedures and builds the plans\' rows on the first report', async () => {
    const { store, expected } = await loadedThenUndone(UNDO_007);
    try {
      const built = await complete(store);
      expect(built.tasks).toBeGreaterThan(50);
      expect(built.carePlans).toBe(generated.input.carePlans.length);
      const read = await store.readReportProjection('default', PERIOD);
      expect(read.summaryGroups.reduce((n, g) => n + g.count, 0)).toBeGreaterThan(expected.overall.funnel.sent / 2);
      expect(read.summaryGroups.some((g) => g.toFirstService.length > 0)).toBe(true);
      expect((await runReferralReport(store, { period: PERIOD })).report).toEqual(expected);
    } finally {
      await store.close();
    }
  }, 120_000);
});
