// Benchmark of the referral report end to end through the store (issue 9 evidence: "the
// report for 100,000 referrals computes in well under a second on SQLite and on PostgreSQL").
//
// Loads a seeded history of N referrals (Task versions stamped at their own times, their
// ServiceRequests, Procedures, CarePlans, Goal versions, dead letters) into a fresh SQLite
// file through the store's writes, which keep the report projection as they go. Then, in the
// same run, times the report as the HTTP route and the CLI run it (read the projection, then
// compute), and beside it the read of the resource histories the projection replaced (once,
// on the first `slow` referrals' worth of data when given, else the whole history).
//
// PostgreSQL (when DATABASE_URL is set): loading 100,000 referrals write by write takes over
// half an hour (one round trip per statement), so the tables the SQLite load produced
// (resources, resource_history and the projection tables) are copied row for row into a
// fresh schema with multi-row INSERTs, the dead letters are written through the store, and
// the same reads are timed there. Every report is checked against the computation over the
// generated facts in memory.
// Run: node bench/report-store.ts [referrals] [history-runs: 0 to skip the history read]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { isDeepStrictEqual } from 'node:util';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { runReferralReport } from '../src/reports/referral-report.ts';
import { openStore } from '../src/store/open.ts';
import type { Store } from '../src/store/store.ts';
import { computeReferralReport } from '../src/workflow/report/compute-report.ts';
import { type Clock, loadHistory } from '../test/reports/support/load-history.ts';
import { dropSchema, uniqueSchema } from '../test/store/open-test-store.ts';
import { PERIOD, generateReferralHistory } from '../test/workflow/support/referral-history-generator.ts';

const count = Number(process.argv[2] ?? 100_000);
const historyRuns = Number(process.argv[3] ?? 1);
const RUNS = 5;
const { input } = generateReferralHistory(count, 42);
const versions = input.referrals.reduce((n, r) => n + r.versions.length, 0);
const goalVersions = input.carePlans.reduce((n, cp) => n + cp.goals.reduce((m, g) => m + Math.max(1, g.history.length), 0), 0);
const expected = computeReferralReport(input, { period: PERIOD, groupBy: ['organization', 'category'] });
const out = (s: string) => process.stdout.write(`${s}\n`);

out(
  `referral report through the store: ${count} referrals (${versions} Task versions, ${input.procedures.length} procedures, ` +
    `${input.carePlans.length} care plans, ${goalVersions} Goal versions, ${input.pendingSyncFailures} dead letters; ${expected.overall.funnel.sent} sent in the period)`,
);

interface Run {
  readMs: number;
  readCpuMs: number;
  computeMs: number;
  computeCpuMs: number;
  matches: boolean;
  phases: string;
}

async function once(store: Store, source: 'projection' | 'history'): Promise<Run> {
  const phases: string[] = [];
  const run = await runReferralReport(store, { period: PERIOD, source, onPhase: (name, ms) => phases.push(`${name} ${ms.toFixed(0)}`) });
  return {
    readMs: run.readMs,
    readCpuMs: run.readCpuMs,
    computeMs: run.computeMs,
    computeCpuMs: run.computeCpuMs,
    matches: isDeepStrictEqual(run.report, expected),
    phases: phases.join(', '),
  };
}

function line(kind: string, label: string, r: Run): string {
  return (
    `${kind}: ${label}: read ${r.readMs.toFixed(0)} ms wall / ${r.readCpuMs.toFixed(0)} ms CPU (${r.phases}), ` +
    `compute ${r.computeMs.toFixed(0)} ms wall / ${r.computeCpuMs.toFixed(0)} ms CPU, total ${(r.readMs + r.computeMs).toFixed(0)} ms wall; ` +
    `equals the in-memory computation: ${r.matches ? 'yes' : 'NO'}`
  );
}

async function bench(kind: string, store: Store): Promise<void> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await once(store, 'projection');
    runs.push(r);
    out(line(kind, `projection run ${i + 1}`, r));
  }
  const best = (k: 'readMs' | 'readCpuMs' | 'computeMs' | 'computeCpuMs') => Math.min(...runs.map((r) => r[k]));
  const totals = runs.map((r) => r.readMs + r.computeMs).sort((a, b) => a - b);
  out(
    `${kind}: projection, best of ${RUNS}: read ${best('readMs').toFixed(0)} ms wall / ${best('readCpuMs').toFixed(0)} ms CPU, ` +
      `compute ${best('computeMs').toFixed(0)} ms wall / ${best('computeCpuMs').toFixed(0)} ms CPU; total wall best ${totals[0].toFixed(0)} ms, median ${totals[Math.floor(RUNS / 2)].toFixed(0)} ms`,
  );
  for (let i = 0; i < historyRuns; i++) {
    const r = await once(store, 'history');
    out(line(kind, `history read ${i + 1}`, r));
    if (!r.matches) process.exitCode = 1;
  }
  if (runs.some((r) => !r.matches)) process.exitCode = 1;
}

const TABLES: Record<string, string[]> = {
  resources: ['tenant', 'type', 'id', 'version_id', 'last_updated', 'deleted', 'body'],
  resource_history: ['tenant', 'type', 'id', 'version_id', 'last_updated', 'deleted', 'body'],
  report_tasks: [
    ...['tenant', 'id', 'focus_id', 'live', 'first_ms', 'last_ms', 'entries', 'categories', 'consent', 'counts', 'sent_ms', 'accepted_ms', 'completed_ms'],
    ...['status', 'reason', 'owner', 'outcomes', 'procedures', 'procedures_known', 'service_ms'],
  ],
  report_task_procedures: ['tenant', 'procedure_id', 'task_id'],
  report_service_requests: ['tenant', 'id', 'categories', 'consent'],
  report_procedures: ['tenant', 'id', 'performed', 'performed_ms'],
  report_care_plans: ['tenant', 'id', 'created_ms', 'fact', 'report_row'],
  report_care_plan_links: ['tenant', 'kind', 'target_id', 'plan_id'],
  report_goals: ['tenant', 'id', 'deleted', 'defined_by', 'history'],
};

/** Copies the SQLite tables into the (migrated, empty) PostgreSQL schema, row for row. */
async function copyToPostgres(sqliteFile: string, databaseUrl: string, schema: string): Promise<void> {
  const db = new DatabaseSync(sqliteFile, { readOnly: true });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${schema}`);
    for (const [table, columns] of Object.entries(TABLES)) {
      const perStatement = Math.floor(30_000 / columns.length);
      let batch: unknown[][] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const tuples = batch.map((_, i) => `(${columns.map((__, j) => `$${i * columns.length + j + 1}`).join(', ')})`);
        await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, batch.flat());
        batch = [];
      };
      await client.query('BEGIN');
      for (const row of db.prepare(`SELECT ${columns.join(', ')} FROM ${table}`).iterate()) {
        const r = row as Record<string, unknown>;
        batch.push(columns.map((c) => r[c]));
        if (batch.length >= perStatement) await flush();
      }
      await flush();
      await client.query('COMMIT');
      await client.query(`ANALYZE ${table}`);
    }
  } finally {
    db.close();
    await client.end();
  }
}

async function deadLetters(store: Store): Promise<void> {
  for (let i = 0; i < input.pendingSyncFailures; i++) {
    await store.enqueue({ destination: 'ehr', orderingKey: `Task/failing-${i}`, reason: 'task-status-changed', payload: {} });
  }
  for (const item of await store.claim('loader', input.pendingSyncFailures, 60_000)) await store.bury(item.id, 'loader', 'gave up');
}

const dir = mkdtempSync(path.join(tmpdir(), 'bench-report-'));
try {
  const clock: Clock = { now: 0 };
  const store = await openStore({ dataDir: dir, now: () => clock.now });
  try {
    const l0 = performance.now();
    await loadHistory(store, clock, input);
    out(`sqlite: loaded through the store's writes (projection kept on each) in ${((performance.now() - l0) / 1000).toFixed(1)} s`);
    await bench('sqlite', store);
  } finally {
    await store.close();
  }

  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    const schema = uniqueSchema();
    const pgStore = await openStore({ databaseUrl, dataDir: '.', schema });
    try {
      const c0 = performance.now();
      await copyToPostgres(path.join(dir, 'gateway.sqlite'), databaseUrl, schema);
      await deadLetters(pgStore);
      out(`postgres: SQLite tables copied in ${((performance.now() - c0) / 1000).toFixed(1)} s`);
      await bench('postgres', pgStore);
    } finally {
      await pgStore.close();
      await dropSchema(databaseUrl, schema);
    }
  } else {
    out('postgres: skipped (DATABASE_URL is not set)');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
